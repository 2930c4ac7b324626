/*
 * Check bookkeeping. Each group prints one line:
 *   "check <name> PASS|FAIL  <n> cases  checksum <16 hex digits>"
 * and one "  FAIL <group>: <case>: ..." line per failed case. The checksum
 * (FNV-1a 64 over the values checked) only depends on results, so it is the
 * same on every correct machine and differs when any bit differs.
 */
#include "guest.h"

#define FNV_OFFSET 0xcbf29ce484222325UL
#define FNV_PRIME 0x100000001b3UL

static void mix(struct check *c, u64 v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		c->sum = (c->sum ^ (v & 0xff)) * FNV_PRIME;
}

void check_begin(struct check *c, const char *name)
{
	c->name = name;
	c->cases = c->failed = 0;
	c->sum = FNV_OFFSET;
}

void check_eq(struct check *c, const char *what, u64 got, u64 want)
{
	c->cases++;
	mix(c, got);
	if (got != want) {
		c->failed++;
		printf("  FAIL %s: %s: got 0x%lx, want 0x%lx\n", c->name, what, got, want);
	}
}

void check_true(struct check *c, const char *what, int ok)
{
	c->cases++;
	mix(c, ok ? 1 : 0);
	if (!ok) {
		c->failed++;
		printf("  FAIL %s: %s\n", c->name, what);
	}
}

int check_end(struct check *c)
{
	printf("check %-10s %s  %3u cases  checksum %016lx\n", c->name, c->failed ? "FAIL" : "PASS",
	       c->cases, c->sum);
	return c->failed == 0;
}
