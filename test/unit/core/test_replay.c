/*
 * test/unit/core/test_replay.c - the replay window against the counter table the
 * Linux kernel selftest and wireguard-go share (window edges and the
 * REJECT_AFTER_MESSAGES limit), their bulk sequences, and a randomized run
 * against a plain "set of seen counters" model.
 */
#include "core/replay.h"

#include "test/harness.h"

static struct uwg_replay filter;
static unsigned case_no;

static void t_case(const char *what, uint64_t counter, bool want)
{
	bool got = uwg_replay_check(&filter, counter);

	case_no++;
	if (got != want)
		fprintf(stderr, "  %s case %u: counter %" PRIu64 " gave %d, want %d\n", what,
			case_no, counter, got, want);
	CHECK(got == want);
}

static void test_table(void)
{
	const uint64_t lim = UWG_COUNTER_WINDOW_SIZE + 1;
	const uint64_t rej = UWG_REJECT_AFTER_MESSAGES;
	static const char *const w = "table";

	uwg_replay_init(&filter);
	case_no = 0;
	t_case(w, 0, true);
	t_case(w, 1, true);
	t_case(w, 1, false);
	t_case(w, 9, true);
	t_case(w, 8, true);
	t_case(w, 7, true);
	t_case(w, 7, false);
	t_case(w, lim, true);
	t_case(w, lim - 1, true);
	t_case(w, lim - 1, false);
	t_case(w, lim - 2, true);
	t_case(w, 2, true);
	t_case(w, 2, false);
	t_case(w, lim + 16, true);
	t_case(w, 3, false);
	t_case(w, lim + 16, false);
	t_case(w, lim * 4, true);
	t_case(w, lim * 4 - (lim - 1), true);
	t_case(w, 10, false);
	t_case(w, lim * 4 - lim, false);
	t_case(w, lim * 4 - (lim + 1), false);
	t_case(w, lim * 4 - (lim - 2), true);
	t_case(w, lim * 4 + 1 - lim, false);
	t_case(w, 0, false);
	t_case(w, rej, false);
	t_case(w, rej - 1, true);
	t_case(w, rej, false);
	t_case(w, rej - 1, false);
	t_case(w, rej - 2, true);
	t_case(w, rej + 1, false);
	t_case(w, rej + 2, false);
	t_case(w, rej - 2, false);
	t_case(w, rej - 3, true);
	t_case(w, 0, false);
	CHECK_EQ_U64(case_no, 34);
}

static void test_bulk(void)
{
	const uint64_t win = UWG_COUNTER_WINDOW_SIZE;

	/* 1: forward through the whole window; 0 is still exactly at its edge. */
	uwg_replay_init(&filter);
	case_no = 0;
	for (uint64_t i = 1; i <= win; i++)
		t_case("bulk1", i, true);
	t_case("bulk1", 0, true);
	t_case("bulk1", 0, false);

	/* 2: one further on, 1 is at the edge and 0 has fallen out. */
	uwg_replay_init(&filter);
	case_no = 0;
	for (uint64_t i = 2; i <= win + 1; i++)
		t_case("bulk2", i, true);
	t_case("bulk2", 1, true);
	t_case("bulk2", 0, false);

	/* 3: backwards from the far edge down to 1. */
	uwg_replay_init(&filter);
	case_no = 0;
	for (uint64_t i = win + 1; i > 0; i--)
		t_case("bulk3", i, true);

	/* 4: backwards from one further; 0 is too old. */
	uwg_replay_init(&filter);
	case_no = 0;
	for (uint64_t i = win + 2; i > 1; i--)
		t_case("bulk4", i, true);
	t_case("bulk4", 0, false);

	/* 5: backwards, then one step forward pushes 0 out. */
	uwg_replay_init(&filter);
	case_no = 0;
	for (uint64_t i = win; i > 0; i--)
		t_case("bulk5", i, true);
	t_case("bulk5", win + 1, true);
	t_case("bulk5", 0, false);

	/* 6: backwards, 0 taken while still inside, then forward. */
	uwg_replay_init(&filter);
	case_no = 0;
	for (uint64_t i = win; i > 0; i--)
		t_case("bulk6", i, true);
	t_case("bulk6", 0, true);
	t_case("bulk6", win + 1, true);
}

/* Jumps of whole rings must clear stale bits that alias the new counters. */
static void test_jumps(void)
{
	const uint64_t ring = UWG_COUNTER_BITS_TOTAL;

	uwg_replay_init(&filter);
	case_no = 0;
	t_case("jump", 5, true);
	t_case("jump", 5 + ring, true); /* same ring slot as 5 */
	t_case("jump", 5 + ring, false);
	t_case("jump", 5 + 2 * ring - 64, true); /* lands in the block of 5 + ring */
	t_case("jump", 5 + ring, false);
	t_case("jump", 5 + 1000 * ring, true);
	t_case("jump", 5 + 999 * ring, false); /* far behind */
	t_case("jump", 5 + 1000 * ring - 1, true);
	t_case("jump", 5 + 1000 * ring - UWG_COUNTER_WINDOW_SIZE, true);
	t_case("jump", 5 + 1000 * ring - UWG_COUNTER_WINDOW_SIZE - 1, false);
	t_case("jump", UINT64_C(1) << 62, true);
	t_case("jump", (UINT64_C(1) << 62) - 64, true);
	t_case("jump", UINT64_MAX, false);
	t_case("jump", (UINT64_C(1) << 62) - 64, false);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* The filter must accept exactly the unseen counters no more than a window behind the top. */
static void test_random(uint64_t seed)
{
	enum { STEPS = 200000 };
	static const uint64_t span = UINT64_C(1) << 26;
	static uint64_t seen[(UINT64_C(1) << 26) / 64];
	uint64_t top = 0, counter, mismatches = 0, accepted = 0;
	bool want, got, was;

	rng_state = seed;
	uwg_replay_init(&filter);
	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < STEPS; i++) {
		uint64_t r = rng();

		if (r % 64 == 0) /* jump ahead, sometimes over whole rings */
			counter = top + (r >> 8) % (3 * UWG_COUNTER_BITS_TOTAL);
		else if (r % 64 < 8) /* around the window edge */
			counter = top - UWG_COUNTER_WINDOW_SIZE - 2 + (r >> 8) % 5;
		else if (r % 64 < 12) /* anywhere in the window */
			counter = top - (r >> 8) % (UWG_COUNTER_WINDOW_SIZE + 1);
		else /* reordered near the top */
			counter = top + 64 - (r >> 8) % 512;
		if (counter >= span) /* wrapped below zero */
			counter = (r >> 16) % (top + 1);
		was = seen[counter / 64] >> (counter % 64) & 1;
		want = !was && (counter > top || top - counter <= UWG_COUNTER_WINDOW_SIZE);
		got = uwg_replay_check(&filter, counter);
		if (got != want && mismatches++ < 5)
			fprintf(stderr, "  random step %u: counter %" PRIu64 " top %" PRIu64
				" gave %d want %d\n", i, counter, top, got, want);
		if (want) {
			seen[counter / 64] |= UINT64_C(1) << (counter % 64);
			if (counter > top)
				top = counter;
			accepted++;
		}
	}
	CHECK_EQ_U64(mismatches, 0);
	/* The run must have slid the window many rings and taken most counters. */
	CHECK(top > 100 * UWG_COUNTER_BITS_TOTAL);
	CHECK(accepted > STEPS / 4);
}

int main(void)
{
	uint64_t seed = UINT64_C(0x7265706c6179);
	const char *env = getenv("UWG_TEST_SEED");

	if (env)
		seed = strtoull(env, NULL, 0);
	printf("test_replay: seed %" PRIu64 " (set UWG_TEST_SEED to override)\n", seed);

	test_table();
	test_bulk();
	test_jumps();
	test_random(seed);
	return harness_report("test_replay");
}
