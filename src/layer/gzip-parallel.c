/* gzip-parallel.c: the gzip stage on several threads: workers deflate the
 * blocks of gzip.h's format, the writer puts them out in order. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "layer/gzip.h"
#include "util/log.h"
#include "util/xalloc.h"

/*
 * The calling thread fills blocks and queues them in a ring; workers take
 * the oldest queued block, compress it with their own z_stream and mark it
 * done; the calling thread writes done blocks in sequence when it needs
 * their slot or at the end. Memory is fixed: ring slots and one z_stream
 * per worker, whatever the size of the layer.
 */
enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

struct slot {
	enum slot_state state;
	unsigned char *in;		/* GZ_DICT bytes of dictionary, then data */
	size_t dictlen, len;
	bool last;
	struct layer_gz_out out;
	uint32_t crc;
	int failed;
};

struct par_sink {
	struct layer_sink base;
	int level, nthreads, started;
	pthread_t *threads;
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a slot was queued, or quit */
	pthread_cond_t done;		/* a slot was compressed */
	struct slot *ring;
	size_t nring;
	uint64_t fill;			/* sequence of the slot being filled */
	uint64_t take;			/* next sequence a worker takes */
	uint64_t put;			/* next sequence to write out */
	bool quit;
	bool header_done;
	uint32_t crc;
	uint64_t total;
};

static struct slot *slot_at(struct par_sink *p, uint64_t seq)
{
	return &p->ring[seq % p->nring];
}

static void *worker(void *arg)
{
	struct par_sink *p = arg;
	struct kerr err = KERR_INIT;
	z_stream zs;

	if (layer_gz_stream_init(&zs, p->level, &err) < 0)
		abort();	/* the level was checked when the sink was made */
	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct slot *s;

		while (!p->quit && p->take == p->fill)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->quit)
			break;
		s = slot_at(p, p->take++);
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&p->lock);

		s->crc = (uint32_t)crc32(0, s->in + s->dictlen, (uInt)s->len);
		s->failed = layer_gz_deflate_block(&zs, s->in, s->dictlen,
						   s->in + s->dictlen, s->len, s->last,
						   &s->out, &err) < 0;
		kerr_clear(&err);

		pthread_mutex_lock(&p->lock);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	deflateEnd(&zs);
	return NULL;
}

static int start_workers(struct par_sink *p, struct kerr *err)
{
	p->threads = xcalloc((size_t)p->nthreads, sizeof(*p->threads));
	for (int i = 0; i < p->nthreads; i++) {
		int rc = pthread_create(&p->threads[i], NULL, worker, p);

		if (rc) {
			/* the ones that did start can still do the work */
			log_debug("gzip: %d of %d threads started", i, p->nthreads);
			if (i == 0)
				return kerr_errno(err, rc, "cannot start a gzip thread");
			p->nthreads = i;
			break;
		}
	}
	p->started = 1;
	return 0;
}

/* writes the oldest slot once it is done; the caller holds no lock */
static int put_one(struct par_sink *p, struct kerr *err)
{
	struct slot *s = slot_at(p, p->put);

	pthread_mutex_lock(&p->lock);
	while (s->state != SLOT_DONE)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);

	if (s->failed)
		return kerr_set(err, "gzip: deflate failed");
	if (!p->header_done) {
		if (layer_sink_write(p->base.next, layer_gz_header, GZ_HEADER_LEN, err) < 0)
			return -1;
		p->header_done = true;
	}
	if (layer_sink_write(p->base.next, s->out.buf, s->out.len, err) < 0)
		return -1;
	p->crc = (uint32_t)crc32_combine(p->crc, s->crc, (z_off_t)s->len);
	p->total += s->len;
	s->state = SLOT_FREE;
	p->put++;
	return 0;
}

/* writes every slot that is already done, without waiting */
static int put_ready(struct par_sink *p, struct kerr *err)
{
	for (;;) {
		int ready;

		if (p->put == p->fill)
			return 0;
		pthread_mutex_lock(&p->lock);
		ready = slot_at(p, p->put)->state == SLOT_DONE;
		pthread_mutex_unlock(&p->lock);
		if (!ready)
			return 0;
		if (put_one(p, err) < 0)
			return -1;
	}
}

/* a layer that fits in one block is done here: no thread is worth it */
static int compress_alone(struct par_sink *p, struct slot *s, struct kerr *err)
{
	z_stream zs;
	int rc;

	if (layer_gz_stream_init(&zs, p->level, err) < 0)
		return -1;
	s->crc = (uint32_t)crc32(0, s->in + s->dictlen, (uInt)s->len);
	rc = layer_gz_deflate_block(&zs, s->in, s->dictlen, s->in + s->dictlen,
				    s->len, true, &s->out, err);
	deflateEnd(&zs);
	s->state = SLOT_DONE;
	p->fill++;
	return rc;
}

/* hands the filled slot to the workers and readies the next one */
static int queue_slot(struct par_sink *p, bool last, struct kerr *err)
{
	struct slot *s = slot_at(p, p->fill), *n;

	if (!p->started && last)
		return compress_alone(p, s, err);
	if (!p->started && start_workers(p, err) < 0)
		return -1;
	s->last = last;
	pthread_mutex_lock(&p->lock);
	s->state = SLOT_QUEUED;
	p->fill++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	if (last)
		return 0;

	if (put_ready(p, err) < 0)
		return -1;
	/* the ring is full: the next slot is still owned by an older block */
	if (p->fill - p->put == p->nring && put_one(p, err) < 0)
		return -1;
	n = slot_at(p, p->fill);
	memcpy(n->in, s->in + s->dictlen + s->len - GZ_DICT, GZ_DICT);
	n->dictlen = GZ_DICT;
	n->len = 0;
	return 0;
}

static int par_write(struct layer_sink *sk, const void *buf, size_t len,
		     struct kerr *err)
{
	struct par_sink *p = (struct par_sink *)sk;
	const unsigned char *src = buf;

	while (len) {
		struct slot *s = slot_at(p, p->fill);
		size_t n = GZ_BLOCK - s->len;

		if (n > len)
			n = len;
		memcpy(s->in + s->dictlen + s->len, src, n);
		s->len += n;
		src += n;
		len -= n;
		if (s->len == GZ_BLOCK && queue_slot(p, false, err) < 0)
			return -1;
	}
	return 0;
}

static int par_finish(struct layer_sink *sk, struct kerr *err)
{
	struct par_sink *p = (struct par_sink *)sk;
	unsigned char trailer[8];

	if (queue_slot(p, true, err) < 0)
		return -1;
	while (p->put != p->fill)
		if (put_one(p, err) < 0)
			return -1;
	layer_gz_trailer(trailer, p->crc, p->total);
	if (layer_sink_write(sk->next, trailer, sizeof(trailer), err) < 0)
		return -1;
	return layer_sink_finish(sk->next, err);
}

static void par_free(struct layer_sink *sk)
{
	struct par_sink *p = (struct par_sink *)sk;

	if (p->started) {
		pthread_mutex_lock(&p->lock);
		p->quit = true;
		pthread_cond_broadcast(&p->work);
		pthread_mutex_unlock(&p->lock);
		for (int i = 0; i < p->nthreads; i++)
			pthread_join(p->threads[i], NULL);
	}
	for (size_t i = 0; i < p->nring; i++) {
		free(p->ring[i].in);
		free(p->ring[i].out.buf);
	}
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p->threads);
	free(p->ring);
	free(p);
}

static const struct layer_sink_ops par_ops = { par_write, par_finish, par_free };

struct layer_sink *layer_gz_parallel_sink(struct layer_sink *next, int level,
					  int threads)
{
	struct par_sink *p = xcalloc(1, sizeof(*p));

	p->base.ops = &par_ops;
	p->base.next = next;
	p->level = level;
	p->nthreads = threads;
	/* two blocks per worker keep them busy while the writer catches up */
	p->nring = (size_t)threads * 2 + 2;
	p->ring = xcalloc(p->nring, sizeof(*p->ring));
	for (size_t i = 0; i < p->nring; i++)
		p->ring[i].in = xmalloc(GZ_DICT + GZ_BLOCK);
	p->crc = (uint32_t)crc32(0, NULL, 0);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	return &p->base;
}
