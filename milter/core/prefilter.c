/*
 * prefilter - required literals of regular expressions, found in a text by
 * one walk of a trie.
 *
 * The trie becomes an Aho-Corasick automaton once every pattern is in
 * (prefilter_seal): one table step per byte of text, whatever the number
 * of literals.
 *
 * Working out a pattern's required literal is done conservatively: only
 * characters outside groups, classes and escapes count, a character made
 * optional by a quantifier ends the run without joining it, and anything
 * unusual (extended mode, \Q) gives up, which makes the pattern always run.
 * Giving up costs time, never a match.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/prefilter.h"

#define NODES_MAX 32767 /* bit 15 of a sealed transition: has output */
#define HAS_OUT   0x8000u
/*
 * Literals enter the trie by their first TRIE_DEPTH characters only: a
 * text holding a literal holds its prefix too, so nothing is hidden, and
 * the scan below needs the depth bounded.
 */
#define TRIE_DEPTH 16
#define LIT_MIN    3 /* shorter literals are seen everywhere */
/*
 * Letters (either case), then one class for all digits and one for all
 * other printable characters: "s3140" then also stands for "s9999", which
 * only lets more texts through, and keeps the automaton small enough to
 * stay in the cache.
 */
#define NCLASS (26 + 2)
#define COLS   (NCLASS + 1) /* and "in no literal" */

struct pf_end {
	uint16_t id;
	uint8_t slot; /* which of the pattern's requirements */
	int32_t next; /* -1: last */
};

/* A literal's end as the scan reads it: what it tells of which pattern. */
struct pf_hit {
	uint16_t id;
	uint8_t slot;
};

struct prefilter {
	/* Trie edges; once sealed, every transition (0: the root). */
	uint16_t (*child)[COLS];
	/*
	 * Until sealed: the literals' ends (per node, a list in ends), and
	 * while sealing the fail links and each node's nearest node with ends
	 * on its fail chain (itself included; 0: none). Sealing leaves only
	 * what the scan reads: child, hit_off and hits.
	 */
	int32_t *end_head; /* per node: first in ends, or -1 */
	uint16_t *fail;    /* longest proper suffix's node */
	uint16_t *out;
	int sealed;
	uint8_t col[256]; /* byte -> column */
	size_t nnodes, capnodes;
	struct pf_end *ends;
	size_t nends, capends;
	/*
	 * Sealed: every literal that ends at node n or at a node on its fail
	 * chain, in hits[hit_off[n], hit_off[n + 1]): one run of memory per
	 * step that completes a literal, instead of a walk of lists.
	 */
	uint32_t *hit_off;
	struct pf_hit *hits;
	uint16_t always[PREFILTER_IDS];
	size_t nalways;
	uint8_t need[PREFILTER_IDS]; /* requirement slots, as a bit mask */
	unsigned char cls[256];      /* byte -> class + 1; 0: in no literal */
};

/* Literal extraction. */

/* Past a class starting at p ('['), or NULL. */
static const char *
skip_class(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p != '\0' && *p != ']') {
		if (*p == '\\' && p[1] != '\0')
			p++;
		p++;
	}
	return *p == ']' ? p + 1 : NULL;
}

/* Past a group starting at p ('('), or NULL if it never closes. */
static const char *
skip_group(const char *p)
{
	int depth = 0;

	while (*p != '\0') {
		if (*p == '\\' && p[1] != '\0')
			p += 2;
		else if (*p == '[') {
			if ((p = skip_class(p)) == NULL)
				return NULL;
		} else if (*p == '(') {
			depth++;
			p++;
		} else if (*p == ')' && --depth == 0)
			return p + 1;
		else
			p++;
	}
	return NULL;
}

/*
 * A quantifier at p: returns its length (lazy/possessive suffix included)
 * and whether it allows zero repetitions; 0 if none.
 */
static size_t
quantifier(const char *p, int *optional)
{
	size_t n = 0;

	*optional = 0;
	if (*p == '?' || *p == '*')
		*optional = 1, n = 1;
	else if (*p == '+')
		n = 1;
	else if (*p == '{' && isdigit((unsigned char)p[1])) {
		const char *close = strchr(p, '}');

		if (close == NULL)
			return 0;
		*optional = atoi(p + 1) == 0;
		n = (size_t)(close - p) + 1;
	}
	if (n > 0 && (p[n] == '?' || p[n] == '+'))
		n++;
	return n;
}

/*
 * A set of literals one of which a piece of pattern requires: a run of
 * plain characters gives one, a mandatory group of alternatives gives one
 * per alternative ("(?:big|large)").
 */
struct litset {
	size_t n;
	char lit[PREFILTER_BRANCH_MAX][PREFILTER_LIT_MAX];
};

/*
 * The worth of a set as a filter, 0 if unusable: long literals are rare in
 * replies, and every alternative is one more way to pass.
 */
static size_t
set_score(const struct litset *s)
{
	size_t i, len, min = 0;

	if (s->n == 0)
		return 0;
	for (i = 0; i < s->n; i++) {
		len = strlen(s->lit[i]);
		if (i == 0 || len < min)
			min = len;
	}
	if (min < LIT_MIN)
		return 0;
	return 2 * min + 2 * PREFILTER_BRANCH_MAX - s->n;
}

/* A branch's usable sets, best first; each is required with the others. */
struct candidates {
	size_t n;
	struct litset set[PREFILTER_REQ_MAX];
};

static void
keep_better(struct candidates *c, const struct litset *cand)
{
	size_t i, score = set_score(cand);

	if (score == 0)
		return;
	for (i = c->n; i > 0 && set_score(&c->set[i - 1]) < score; i--)
		if (i < PREFILTER_REQ_MAX)
			c->set[i] = c->set[i - 1];
	if (i < PREFILTER_REQ_MAX) {
		c->set[i] = *cand;
		if (c->n < PREFILTER_REQ_MAX)
			c->n++;
	}
}

struct run {
	char cur[PREFILTER_LIT_MAX];
	size_t ncur;
};

static void
run_end(struct run *r, struct candidates *best)
{
	struct litset one = {.n = 1};

	if (r->ncur > 0) {
		memcpy(one.lit[0], r->cur, r->ncur);
		one.lit[0][r->ncur] = '\0';
		keep_better(best, &one);
	}
	r->ncur = 0;
}

static void
run_add(struct run *r, char c, struct candidates *best)
{
	if (r->ncur + 1 >= PREFILTER_LIT_MAX)
		run_end(r, best);
	r->cur[r->ncur++] = (char)tolower((unsigned char)c);
}

static int alternation_set(const char *p, const char *end, struct litset *out,
                           int depth);

/*
 * The body of a group at p ('('), if it can be required literally:
 * "(?:", "(?<name>" and "(" open one; lookarounds and options do not.
 */
static const char *
group_body(const char *p)
{
	if (p[1] != '?')
		return p + 1;
	if (p[2] == ':')
		return p + 3;
	if ((p[2] == '<' || p[2] == 'P') && p[3] != '=' && p[3] != '!') {
		const char *close = strchr(p, '>');

		return close != NULL ? close + 1 : NULL;
	}
	return NULL;
}

/* The literal sets one branch [p, end) requires; -1 if none. */
static int
branch_sets(const char *p, const char *end, struct candidates *best, int depth)
{
	struct run r = {.ncur = 0};
	struct litset inner;
	const char *next, *body;
	size_t q;
	int opt = 0, literal;
	char c = 0;

	best->n = 0;
	while (p < end) {
		literal = 0;
		body = NULL;
		if (*p == '\\') {
			if (p + 1 >= end || p[1] == 'Q')
				return -1; /* quoting: give up */
			literal = !isalnum((unsigned char)p[1]);
			c = p[1];
			next = p + 2;
		} else if (*p == '(') {
			if ((next = skip_group(p)) == NULL || next > end)
				return -1;
			body = group_body(p);
		} else if (*p == '[') {
			if ((next = skip_class(p)) == NULL || next > end)
				return -1;
		} else if (*p == '.' || *p == '^' || *p == '$' || *p < 0x20 ||
		           *p > 0x7e) {
			next = p + 1;
		} else {
			literal = 1;
			c = *p;
			next = p + 1;
		}
		q = next < end ? quantifier(next, &opt) : 0;
		if (literal && !(q > 0 && opt))
			run_add(&r, c, best);
		if (!literal || q > 0)
			run_end(&r, best);
		if (body != NULL && !(q > 0 && opt) && depth < 8 &&
		    alternation_set(body, next - 1, &inner, depth + 1) == 0)
			keep_better(best, &inner);
		p = next + q;
	}
	run_end(&r, best);
	return best->n > 0 ? 0 : -1;
}

/* One literal set for an alternation: the union of its branches' sets. */
static int
alternation_set(const char *p, const char *end, struct litset *out, int depth)
{
	const char *start = p, *next;
	struct candidates b;
	size_t i;

	out->n = 0;
	for (;;) {
		if (p < end && *p == '\\' && p + 1 < end) {
			p += 2;
			continue;
		}
		if (p < end && (*p == '(' || *p == '[')) {
			next = *p == '(' ? skip_group(p) : skip_class(p);
			if (next == NULL || next > end)
				return -1;
			p = next;
			continue;
		}
		if (p < end && *p != '|') {
			p++;
			continue;
		}
		/* Each branch's best set; a match passes through one. */
		if (branch_sets(start, p, &b, depth) != 0 ||
		    out->n + b.set[0].n > PREFILTER_BRANCH_MAX)
			return -1;
		for (i = 0; i < b.set[0].n; i++)
			memcpy(out->lit[out->n++], b.set[0].lit[i],
			       PREFILTER_LIT_MAX);
		if (p >= end)
			return 0;
		start = ++p;
	}
}

size_t
prefilter_requirements(const char *pattern,
                       struct prefilter_req req[PREFILTER_REQ_MAX])
{
	struct candidates c;
	struct litset one;
	const char *p, *end = pattern + strlen(pattern);
	size_t i, k;
	int depth = 0;

	/* Inline options can change what a space or a letter means. */
	if (strstr(pattern, "(?x") != NULL || strstr(pattern, "(?-i") != NULL ||
	    strstr(pattern, "(?^") != NULL)
		return 0;
	/* One branch: all its pieces are required; several: one set. */
	for (p = pattern; p < end;) {
		if (*p == '\\' && p[1] != '\0') {
			p += 2; /* an escaped '[' or '|' is a literal */
			continue;
		}
		if (*p == '[') {
			if ((p = skip_class(p)) == NULL)
				return 0;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (*p == '|' && depth == 0)
			break;
		p++;
	}
	if (p < end && *p == '|') {
		if (alternation_set(pattern, end, &one, 0) != 0)
			return 0;
		c.n = 1;
		c.set[0] = one;
	} else if (branch_sets(pattern, end, &c, 0) != 0)
		return 0;
	for (i = 0; i < c.n; i++) {
		req[i].n = c.set[i].n;
		for (k = 0; k < c.set[i].n; k++)
			memcpy(req[i].lit[k], c.set[i].lit[k],
			       PREFILTER_LIT_MAX);
	}
	return c.n;
}

/* The trie. */

struct prefilter *
prefilter_new(void)
{
	struct prefilter *pf;
	int c;

	if ((pf = calloc(1, sizeof(*pf))) == NULL)
		return NULL;
	for (c = 0x20; c <= 0x7e; c++)
		pf->cls[c] = isalpha(c) ? (unsigned char)(tolower(c) - 'a' + 1)
		             : isdigit(c) ? 27
		                          : 28;
	for (c = 0; c < 256; c++)
		pf->col[c] = pf->cls[c] ? (uint8_t)(pf->cls[c] - 1) : NCLASS;
	pf->capnodes = 256;
	pf->child = calloc(pf->capnodes, sizeof(*pf->child));
	pf->end_head = malloc(pf->capnodes * sizeof(*pf->end_head));
	if (pf->child == NULL || pf->end_head == NULL) {
		prefilter_free(pf);
		return NULL;
	}
	pf->end_head[0] = -1;
	pf->nnodes = 1;
	return pf;
}

void
prefilter_free(struct prefilter *pf)
{
	if (pf == NULL)
		return;
	free(pf->child);
	free(pf->end_head);
	free(pf->out);
	free(pf->fail);
	free(pf->ends);
	free(pf->hit_off);
	free(pf->hits);
	free(pf);
}

static int
grow_nodes(struct prefilter *pf)
{
	uint16_t(*child)[COLS];
	int32_t *heads;
	size_t cap = pf->capnodes * 2;

	if (cap > NODES_MAX + 1)
		cap = NODES_MAX + 1;
	if (pf->nnodes >= cap)
		return -1;
	if ((child = realloc(pf->child, cap * sizeof(*child))) == NULL)
		return -1;
	pf->child = child;
	memset(child + pf->capnodes, 0, (cap - pf->capnodes) * sizeof(*child));
	if ((heads = realloc(pf->end_head, cap * sizeof(*heads))) == NULL)
		return -1;
	pf->end_head = heads;
	pf->capnodes = cap;
	return 0;
}

static int
add_literal(struct prefilter *pf, const char *lit, unsigned id, unsigned slot)
{
	size_t node = 0, depth = 0;
	int k;

	for (; *lit != '\0' && depth < TRIE_DEPTH; lit++, depth++) {
		k = pf->cls[(unsigned char)*lit] - 1;
		if (k < 0)
			return -1;
		if (pf->child[node][k] == 0) {
			if (pf->nnodes == pf->capnodes && grow_nodes(pf) != 0)
				return -1;
			pf->end_head[pf->nnodes] = -1;
			pf->child[node][k] = (uint16_t)pf->nnodes++;
		}
		node = pf->child[node][k];
	}
	if (pf->nends == pf->capends) {
		size_t cap = pf->capends ? pf->capends * 2 : 64;
		struct pf_end *e = realloc(pf->ends, cap * sizeof(*e));

		if (e == NULL)
			return -1;
		pf->ends = e;
		pf->capends = cap;
	}
	pf->ends[pf->nends] =
	    (struct pf_end){(uint16_t)id, (uint8_t)slot, pf->end_head[node]};
	pf->end_head[node] = (int32_t)pf->nends++;
	return 0;
}

int
prefilter_add(struct prefilter *pf, const char *pattern, unsigned id)
{
	struct prefilter_req req[PREFILTER_REQ_MAX];
	size_t i, k, n;

	if (id >= PREFILTER_IDS || pf->sealed)
		return -1;
	n = prefilter_requirements(pattern, req);
	for (i = 0; i < n; i++) {
		for (k = 0; k < req[i].n; k++)
			if (add_literal(pf, req[i].lit[k], id, (unsigned)i) !=
			    0)
				goto always;
		pf->need[id] |= (uint8_t)(1u << i);
	}
	if (n > 0)
		return 1;
always:
	pf->need[id] = 0;
	pf->always[pf->nalways++] = (uint16_t)id;
	return 0;
}

/*
 * Lay out, for each node, the literals that end there or on its fail
 * chain (hit_off, hits); 0, or -1 when out of memory.
 */
static int
flatten_hits(struct prefilter *pf)
{
	size_t r, x, n = 0;
	int32_t k;

	for (r = 0; r < pf->nnodes; r++)
		for (x = pf->out[r]; x != 0; x = pf->out[pf->fail[x]])
			for (k = pf->end_head[x]; k >= 0; k = pf->ends[k].next)
				n++;
	pf->hit_off = malloc((pf->nnodes + 1) * sizeof(*pf->hit_off));
	pf->hits = malloc((n > 0 ? n : 1) * sizeof(*pf->hits));
	if (pf->hit_off == NULL || pf->hits == NULL)
		return -1;
	n = 0;
	for (r = 0; r < pf->nnodes; r++) {
		pf->hit_off[r] = (uint32_t)n;
		for (x = pf->out[r]; x != 0; x = pf->out[pf->fail[x]])
			for (k = pf->end_head[x]; k >= 0; k = pf->ends[k].next)
				pf->hits[n++] = (struct pf_hit){
				    pf->ends[k].id, pf->ends[k].slot};
	}
	pf->hit_off[r] = (uint32_t)n;
	return 0;
}

int
prefilter_seal(struct prefilter *pf)
{
	uint16_t *fail, *queue;
	size_t head = 0, tail = 0, r, u;
	int c;

	fail = pf->fail = calloc(pf->nnodes, sizeof(*fail));
	queue = calloc(pf->nnodes, sizeof(*queue));
	pf->out = calloc(pf->nnodes, sizeof(*pf->out));
	if (fail == NULL || queue == NULL || pf->out == NULL) {
		free(queue);
		return -1;
	}
	/* Breadth first: a node's fail target is shallower, so done. */
	for (c = 0; c < COLS; c++)
		if ((u = pf->child[0][c]) != 0)
			queue[tail++] = (uint16_t)u;
	while (head < tail) {
		r = queue[head++];
		pf->out[r] =
		    pf->end_head[r] >= 0 ? (uint16_t)r : pf->out[fail[r]];
		for (c = 0; c < COLS; c++) {
			u = pf->child[r][c];
			if (u == 0) {
				pf->child[r][c] = pf->child[fail[r]][c];
				continue;
			}
			fail[u] = r == 0 ? 0 : pf->child[fail[r]][c];
			queue[tail++] = (uint16_t)u;
		}
	}
	free(queue);
	if (flatten_hits(pf) != 0)
		return -1;
	/*
	 * Mark transitions into nodes that end a literal, so the scan reads
	 * nothing more for the bytes that complete none (nearly all).
	 */
	for (r = 0; r < pf->nnodes; r++)
		for (c = 0; c < COLS; c++)
			if (pf->out[pf->child[r][c]] != 0)
				pf->child[r][c] |= HAS_OUT;
	/* What only the building needed. */
	free(pf->end_head);
	free(pf->fail);
	free(pf->out);
	free(pf->ends);
	pf->end_head = NULL;
	pf->fail = pf->out = NULL;
	pf->ends = NULL;
	pf->nends = pf->capends = 0;
	pf->sealed = 1;
	return 0;
}

/* Scan state: which ids were seen, and which of their literals. */
struct scan {
	uint64_t *seen;
	uint8_t got[PREFILTER_IDS];
	uint16_t touched[PREFILTER_IDS];
	size_t ntouched;
};

/* Note every literal that ends at node. */
static void
note_ends(const struct prefilter *pf, size_t node, struct scan *s)
{
	const struct pf_hit *h = pf->hits + pf->hit_off[node],
	                    *end = pf->hits + pf->hit_off[node + 1];

	for (; h < end; h++) {
		if (!(s->seen[h->id / 64] >> (h->id % 64) & 1) &&
		    s->ntouched < PREFILTER_IDS) {
			/* First sight of this id: start its mask. */
			s->seen[h->id / 64] |= UINT64_C(1) << (h->id % 64);
			s->got[h->id] = 0;
			s->touched[s->ntouched++] = h->id;
		}
		s->got[h->id] |= (uint8_t)(1u << h->slot);
	}
}

/* One step of a walk from node on byte c: the next node. */
static inline size_t
step(const struct prefilter *pf, size_t node, unsigned char c, struct scan *s)
{
	uint16_t v = pf->child[node][pf->col[c]];

	if (v & HAS_OUT)
		note_ends(pf, v & ~HAS_OUT, s);
	return v & ~HAS_OUT;
}

void
prefilter_scan(const struct prefilter *pf, const char *text, size_t len,
               uint64_t seen[PREFILTER_WORDS])
{
	const unsigned char *t = (const unsigned char *)text;
	struct scan s;
	size_t i, a = 0, b = 0, half, enda;

	memset(seen, 0, PREFILTER_WORDS * sizeof(seen[0]));
	for (i = 0; i < pf->nalways; i++)
		seen[pf->always[i] / 64] |= UINT64_C(1) << (pf->always[i] % 64);
	if (!pf->sealed)
		return;
	s.seen = seen;
	s.ntouched = 0;
	/*
	 * Two walks side by side, over the first and the second half of the
	 * text: each step waits on the table read before it, and two
	 * independent chains of reads overlap. The first walk goes on for
	 * TRIE_DEPTH - 1 bytes past the middle, so that a literal across it
	 * is seen whole; one seen twice is noted twice, which changes nothing.
	 */
	half = len / 2;
	enda = half + TRIE_DEPTH - 1;
	if (enda >= len)
		half = enda = len;
	for (i = 0; half + i < len; i++) {
		a = step(pf, a, t[i], &s);
		b = step(pf, b, t[half + i], &s);
	}
	for (; i < enda; i++)
		a = step(pf, a, t[i], &s);
	/* Seen so far means "some literal seen"; keep those with all. */
	for (i = 0; i < s.ntouched; i++)
		if (s.got[s.touched[i]] != pf->need[s.touched[i]])
			seen[s.touched[i] / 64] &=
			    ~(UINT64_C(1) << (s.touched[i] % 64));
}
