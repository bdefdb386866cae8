/*
 * confstore - reference-counted current configuration.
 */
#include <pthread.h>

#include "core/bug.h"
#include "engine/confstore.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct config *current;

static void
release_locked(struct config *c)
{
	if (c == NULL)
		return;
	/* A drop without its hold would free a configuration in use. */
	if (c->refs == 0)
		ma_bug("confstore: configuration %p dropped more than held",
		       (void *)c);
	if (--c->refs == 0)
		config_free(c);
}

void
confstore_swap(struct config *c)
{
	pthread_mutex_lock(&lock);
	if (c != NULL)
		c->refs = 1;
	release_locked(current);
	current = c;
	pthread_mutex_unlock(&lock);
}

struct config *
confstore_hold(void)
{
	struct config *c;

	pthread_mutex_lock(&lock);
	if ((c = current) != NULL)
		c->refs++;
	pthread_mutex_unlock(&lock);
	return c;
}

void
confstore_drop(struct config *c)
{
	pthread_mutex_lock(&lock);
	release_locked(c);
	pthread_mutex_unlock(&lock);
}
