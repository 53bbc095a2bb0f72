/*
 * cli/daemon/crypt_pool.c - AEAD worker threads (see cli/daemon/crypt_pool.h).
 *
 * A batch is published as (jobs, n) plus a 64-bit claim word: generation in
 * the high half, next unclaimed job in the low half. Every thread claims a
 * job with a compare-and-swap that names the generation. Before new jobs and
 * n are written the claim word is closed under the new generation, and they
 * are written with release: a worker that read any of them (acquire) sees the
 * closed word, so its claim for the old generation fails rather than taking a
 * job of the new batch with the old batch's index. The loop thread claims
 * too and, once nothing is left to claim, waits only for jobs a worker is in
 * the middle of. Loop thread for the API; the workers run worker_main.
 */
#include "cli/daemon/crypt_pool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

enum { SPIN_BEFORE_SLEEP = 2000 };

/* Low half of a claim word that offers no job. */
#define CLAIM_CLOSED UINT64_C(0xffffffff)

struct uwg_crypt_pool {
	pthread_t threads[UWG_CRYPT_POOL_MAX_WORKERS];
	unsigned nthreads;

	_Atomic uint64_t claim;              /* generation << 32 | next job */
	_Atomic(struct uwg_crypt_job *) jobs;
	_Atomic size_t n;
	_Atomic size_t done;                 /* jobs finished in the current batch */
	_Atomic uint64_t jobs_helped;

	pthread_mutex_t mu;
	pthread_cond_t wake;                 /* workers: a new generation was posted, or stop */
	pthread_cond_t finished;             /* loop thread: done reached n */
	uint32_t posted;                     /* under mu: last generation posted */
	bool stop;                           /* under mu */
	bool loop_waiting;                   /* under mu */

	uint32_t gen;                        /* loop thread only */
	uint64_t batches;                    /* loop thread only */
};

static inline uint32_t claim_gen(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

/*
 * Claims and runs jobs of generation gen until none is left. Returns how
 * many this thread ran; after each one the shared done count moves on, and
 * whoever completes the batch wakes a waiting loop thread.
 */
static size_t work(struct uwg_crypt_pool *p, uint32_t gen, bool worker)
{
	size_t ran = 0;

	for (;;) {
		uint64_t v = atomic_load_explicit(&p->claim, memory_order_acquire);
		struct uwg_crypt_job *jobs;
		size_t n, idx = (size_t)(v & 0xffffffffu);

		if (claim_gen(v) != gen)
			return ran;
		jobs = atomic_load_explicit(&p->jobs, memory_order_acquire);
		n = atomic_load_explicit(&p->n, memory_order_acquire);
		if (idx >= n)
			return ran;
		/* Succeeds only while generation gen is live, so jobs and n above are its own. */
		if (!atomic_compare_exchange_weak_explicit(&p->claim, &v, v + 1, memory_order_acq_rel,
							   memory_order_acquire))
			continue;
		uwg_crypt_job_run(&jobs[idx]);
		ran++;
		if (atomic_fetch_add_explicit(&p->done, 1, memory_order_acq_rel) + 1 == n && worker) {
			pthread_mutex_lock(&p->mu);
			if (p->loop_waiting)
				pthread_cond_signal(&p->finished);
			pthread_mutex_unlock(&p->mu);
		}
	}
}

static void *worker_main(void *arg)
{
	struct uwg_crypt_pool *p = arg;
	uint32_t seen = 0;

	for (;;) {
		size_t ran;

		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->posted == seen)
			pthread_cond_wait(&p->wake, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		seen = p->posted;
		pthread_mutex_unlock(&p->mu);
		ran = work(p, seen, true);
		if (ran)
			atomic_fetch_add_explicit(&p->jobs_helped, ran, memory_order_relaxed);
	}
}

void uwg_crypt_pool_run(void *ctx, struct uwg_crypt_job *jobs, size_t n)
{
	struct uwg_crypt_pool *p = ctx;

	if (!p || n < UWG_CRYPT_POOL_MIN_JOBS) {
		for (size_t i = 0; i < n; i++)
			uwg_crypt_job_run(&jobs[i]);
		return;
	}
	p->gen++;
	p->batches++;
	/* Closed first: no claim of the previous generation can succeed from here on. */
	atomic_store_explicit(&p->claim, (uint64_t)p->gen << 32 | CLAIM_CLOSED, memory_order_relaxed);
	atomic_store_explicit(&p->jobs, jobs, memory_order_release);
	atomic_store_explicit(&p->n, n, memory_order_release);
	atomic_store_explicit(&p->done, 0, memory_order_release);
	/* Then opened, publishing jobs, n and done with it. */
	atomic_store_explicit(&p->claim, (uint64_t)p->gen << 32, memory_order_release);
	pthread_mutex_lock(&p->mu);
	p->posted = p->gen;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->mu);

	work(p, p->gen, false);

	/* Nothing left to claim: only jobs a worker is running remain, each a few microseconds. */
	for (int i = 0; i < SPIN_BEFORE_SLEEP; i++)
		if (atomic_load_explicit(&p->done, memory_order_acquire) == n)
			return;
	pthread_mutex_lock(&p->mu);
	p->loop_waiting = true;
	while (atomic_load_explicit(&p->done, memory_order_acquire) != n)
		pthread_cond_wait(&p->finished, &p->mu);
	p->loop_waiting = false;
	pthread_mutex_unlock(&p->mu);
}

int uwg_crypt_pool_new(struct uwg_crypt_pool **out, unsigned workers)
{
	struct uwg_crypt_pool *p;
	sigset_t all, old;
	int err = 0;

	*out = NULL;
	if (workers < 1 || workers > UWG_CRYPT_POOL_MAX_WORKERS)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	atomic_init(&p->claim, 0);
	atomic_init(&p->jobs, NULL);
	atomic_init(&p->n, 0);
	atomic_init(&p->done, 0);
	atomic_init(&p->jobs_helped, 0);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->wake, NULL);
	pthread_cond_init(&p->finished, NULL);
	/* Signals stay with the loop thread (libuv's handlers). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < workers; i++) {
		err = pthread_create(&p->threads[i], NULL, worker_main, p);
		if (err)
			break;
		p->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err && !p->nthreads) {
		uwg_crypt_pool_free(p);
		return -err;
	}
	*out = p;
	return 0;
}

void uwg_crypt_pool_free(struct uwg_crypt_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->finished);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

void uwg_crypt_pool_get_stats(const struct uwg_crypt_pool *p, struct uwg_crypt_pool_stats *st)
{
	st->batches = p ? p->batches : 0;
	st->jobs_helped = p ? atomic_load_explicit(&p->jobs_helped, memory_order_relaxed) : 0;
}
