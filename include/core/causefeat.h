/*
 * causefeat - the features of a reply for a linear scorer: its words,
 * word pairs, basic code, class and enhanced code ("w=relay",
 * "b=relay_denied", "code=550", "class=5", "sub=7", "det=7.1" or
 * "noecode"). Words are lower case runs of letters and digits, numbers
 * all one word "#".
 */
#ifndef CAUSEFEAT_H
#define CAUSEFEAT_H

#define CAUSE_FEATURE_MAX 64 /* a feature's name, NUL included */

struct reply;

/* Call fn once for each feature of a parsed reply, in text order. */
void cause_features(const struct reply *,
                    void (*fn)(const char *feat, void *arg), void *arg);

#endif
