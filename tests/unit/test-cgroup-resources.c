/* linux.resources writers without a real cgroupfs: unit conversions, the
 * byte-suffix parser, the eBPF device program (run through a small
 * interpreter here, and through the kernel verifier when we may load BPF),
 * and v1 / hybrid / v2 writes and stats on fake trees (the seam of
 * runtime/cgroup-detect.c). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"
#include "runtime/cgroup.h"
#include "cgroup-test-util.h"

static bool file_is(const char *dir, const char *file, const char *want)
{
	char p[1024], buf[512];
	fmt(p, sizeof p, "%s/%s", dir, file);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	if (strcmp(buf, want) != 0)
		fprintf(stderr, "# %s/%s: \"%s\", want \"%s\"\n", dir, file, buf, want);
	return strcmp(buf, want) == 0;
}

static void mkhier(const char *root, const char *name, const char *marker)
{
	char p[1024];
	fmt(p, sizeof p, "%s/%s", root, name);
	mkdir(p, 0755);
	put(p, VOLT_CGROUP_FAKE_MARKER, marker);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void rm_tree(const char *p)
{
	nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_conversions(void)
{
	check(volt_cg_shares_to_weight(2) == 1 && volt_cg_shares_to_weight(262144) == 10000 &&
		  volt_cg_shares_to_weight(1024) == 39 && volt_cg_shares_to_weight(512) == 20,
	      "cpu.shares -> cpu.weight: 2->1, 512->20, 1024->39, 262144->10000");
	check(volt_cg_blkio_to_io_weight(10) == 1 && volt_cg_blkio_to_io_weight(1000) == 10000 &&
		  volt_cg_blkio_to_io_weight(500) == 4950,
	      "blkio weight -> io.weight: 10->1, 500->4950, 1000->10000");

	char buf[32];
	struct volt_error err = {0};
	int r = volt_cg_swap_v2(32 << 20, true, 64 << 20, buf, sizeof buf, "linux.resources", &err);
	check_detail(r == 0 && strcmp(buf, "33554432") == 0, "v2 swap: memory.swap.max = swap - limit",
		     err.msg);
	r = volt_cg_swap_v2(32 << 20, true, 32 << 20, buf, sizeof buf, "linux.resources", &err);
	check_detail(r == 0 && strcmp(buf, "0") == 0, "v2 swap equal to the limit means no swap", err.msg);
	r = volt_cg_swap_v2(32 << 20, true, -1, buf, sizeof buf, "linux.resources", &err);
	check_detail(r == 0 && strcmp(buf, "max") == 0, "v2 swap -1 is max", err.msg);
	r = volt_cg_swap_v2(64 << 20, true, 32 << 20, buf, sizeof buf, "linux.resources", &err);
	check_detail(r < 0 && strstr(err.msg, "linux.resources.memory.swap"),
		     "v2 swap below the limit rejected", err.msg);
	r = volt_cg_swap_v2(0, false, 32 << 20, buf, sizeof buf, "resources", &err);
	check_detail(r < 0 && strstr(err.msg, "resources.memory.swap"), "v2 swap without a limit rejected",
		     err.msg);

	static const struct {
		const char *in;
		int64_t want;
	} sizes[] = {{"1024", 1024},	{"64m", 64LL << 20},  {"64M", 64LL << 20},
		     {"1g", 1LL << 30}, {"512kb", 512 << 10}, {"2GiB", 2LL << 30},
		     {"1.5k", 1536},	{"-1", -1},	      {"100b", 100}};
	bool ok = true;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		int64_t v = 0;
		if (volt_parse_bytes(sizes[i].in, &v) < 0 || v != sizes[i].want) {
			fprintf(stderr, "# %s -> %" PRId64 "\n", sizes[i].in, v);
			ok = false;
		}
	}
	check(ok, "byte sizes with k/m/g suffixes parse like runc");
	int64_t v;
	check(volt_parse_bytes("abc", &v) < 0 && volt_parse_bytes("5x", &v) < 0 &&
		  volt_parse_bytes("", &v) < 0 && volt_parse_bytes("-5", &v) < 0 &&
		  volt_parse_bytes("1mbb", &v) < 0,
	      "bad byte sizes rejected");
}

/* The subset of eBPF the generator emits, enough to run its programs. */
static int run_prog(const struct bpf_insn *p, int n, uint32_t type, uint32_t access, uint32_t major,
		    uint32_t minor)
{
	struct bpf_cgroup_dev_ctx ctx = {
	    .access_type = (access << 16) | type, .major = major, .minor = minor};
	uint64_t r[11] = {0};
	for (int pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];
		uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code);
		uint64_t src = BPF_SRC(i->code) == BPF_X ? r[i->src_reg] : (uint64_t)(int64_t)i->imm;
		if (cls == BPF_LDX) {
			uint32_t w;
			memcpy(&w, (const char *)&ctx + i->off, 4);
			r[i->dst_reg] = w;
		} else if (cls == BPF_ALU || cls == BPF_ALU64) {
			uint64_t d = r[i->dst_reg];
			d = op == BPF_AND   ? d & src
			    : op == BPF_RSH ? d >> src
			    : op == BPF_MOV ? src
					    : (uint64_t)-1;
			r[i->dst_reg] = cls == BPF_ALU ? (uint32_t)d : d;
		} else if (cls == BPF_JMP && op == BPF_EXIT) {
			return (int)r[0];
		} else if (cls == BPF_JMP) {
			bool jump = op == BPF_JNE   ? r[i->dst_reg] != src
				    : op == BPF_JEQ ? r[i->dst_reg] == src
						    : false;
			if (jump)
				pc += i->off;
		} else {
			return -2;
		}
	}
	return -1; /* fell off the end */
}

static void test_device_prog(void)
{
	struct oci_device_rule user[] = {
	    {false, 'a', -1, -1, "rwm"}, /* what `runc spec` writes */
	    {false, 'c', 1, 3, "rwm"},	 /* no /dev/null */
	    {false, 'c', 1, 5, "w"},	 /* read-only /dev/zero */
	    {true, 'b', 8, -1, "r"},	 /* read any sd disk */
	};
	struct oci_resources res = {.present = true, .devices = user, .n_devices = 4};
	struct oci_device_rule *rules = NULL;
	size_t n = 0;
	check(volt_cg_device_rules(&res, &rules, &n) == 0 && n > 5 && rules[0].type == 'a' && !rules[0].allow,
	      "effective device rules start with deny all");
	struct bpf_insn prog[256];
	int cnt = volt_cg_device_prog(rules, n, prog, 256);
	check(cnt > 6, "device program generated");
	const uint32_t C = BPF_DEVCG_DEV_CHAR, B = BPF_DEVCG_DEV_BLOCK, R = BPF_DEVCG_ACC_READ,
		       W = BPF_DEVCG_ACC_WRITE, M = BPF_DEVCG_ACC_MKNOD;
	check(run_prog(prog, cnt, C, R | W, 1, 3) == 0, "deny rule for c 1:3 beats the default allow");
	check(run_prog(prog, cnt, C, R | W, 1, 9) == 1 && run_prog(prog, cnt, C, R | W, 136, 7) == 1 &&
		  run_prog(prog, cnt, C, R | W, 5, 2) == 1,
	      "defaults allowed: urandom, pts/7, ptmx");
	check(run_prog(prog, cnt, C, R, 1, 5) == 1 && run_prog(prog, cnt, C, W, 1, 5) == 0 &&
		  run_prog(prog, cnt, C, R | W, 1, 5) == 0,
	      "deny w on c 1:5: read ok, write and read+write refused");
	check(run_prog(prog, cnt, B, R, 8, 16) == 1 && run_prog(prog, cnt, B, R | W, 8, 16) == 0 &&
		  run_prog(prog, cnt, B, R, 9, 0) == 0,
	      "allow r on b 8:*: read ok, write and other majors refused");
	check(run_prog(prog, cnt, C, R, 10, 200) == 0 && run_prog(prog, cnt, C, M, 10, 200) == 1,
	      "unlisted char device refused, mknod of it allowed");
	check(volt_cg_device_prog(rules, n, prog, 4) < 0 && errno == E2BIG, "too small buffer: E2BIG");

	/* The kernel's verifier has the last word (root with CAP_BPF only). */
	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)prog;
	attr.insn_cnt = (uint32_t)cnt;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
	if (fd < 0 && (errno == EPERM || errno == ENOSYS)) {
		skip("kernel verifier accepts the program", "no permission to load BPF");
	} else {
		char e[64];
		fmt(e, sizeof e, "errno %d", errno);
		check_detail(fd >= 0, "kernel verifier accepts the program", e);
	}
	if (fd >= 0)
		close(fd);
	/* deny-all alone: no unreachable tail for the verifier to refuse */
	struct oci_device_rule only = {false, 'a', -1, -1, "rwm"};
	cnt = volt_cg_device_prog(&only, 1, prog, 256);
	check(cnt > 0 && prog[cnt - 1].code == (BPF_JMP | BPF_EXIT) && run_prog(prog, cnt, C, R, 1, 3) == 0 &&
		  cnt == 8,
	      "deny-all program ends right after its unconditional return");
	free(rules);
}

static void make_v1(const char *root, bool hybrid)
{
	static const char *const h[][2] = {
	    {"blkio", "blkio"},	    {"cpu", "cpu"},	    {"cpuacct", "cpuacct"}, {"cpuset", "cpuset"},
	    {"devices", "devices"}, {"freezer", "freezer"}, {"memory", "memory"},   {"pids", "pids"}};
	for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
		mkhier(root, h[i][0], h[i][1]);
	if (hybrid)
		mkhier(root, "unified", "cgroup2");
	char p[1024];
	fmt(p, sizeof p, "%s/cpuset", root);
	put(p, "cpuset.cpus", "0-3\n");
	put(p, "cpuset.mems", "0\n");
}

static void test_v1(const char *root)
{
	make_v1(root, true);
	struct volt_cgroup cg;
	struct volt_error err = {0};
	if (volt_cgroup_init(&cg, root, NULL, "r1", &err) < 0 || cg.ops->create(&cg, &err) < 0) {
		check_detail(false, "hybrid fake tree set up", err.msg);
		return;
	}
	char mem[1024], cpu[1024], pids[1024], dev[1024], uni[1024], blk[1024];
	fmt(mem, sizeof mem, "%s/memory/volt/r1", root);
	fmt(cpu, sizeof cpu, "%s/cpu/volt/r1", root);
	fmt(pids, sizeof pids, "%s/pids/volt/r1", root);
	fmt(dev, sizeof dev, "%s/devices/volt/r1", root);
	fmt(uni, sizeof uni, "%s/unified/volt/r1", root);
	fmt(blk, sizeof blk, "%s/blkio/volt/r1", root);
	/* files that only exist with a feature: swap accounting, burst */
	put(mem, "memory.memsw.limit_in_bytes", "9223372036854771712\n");
	put(cpu, "cpu.cfs_burst_us", "0\n");
	put(uni, "hugetlb.2MB.max", "max\n");

	struct oci_device_rule devs[] = {{false, 'a', -1, -1, "rwm"}, {false, 'c', 1, 3, "rwm"}};
	struct oci_blkio_throttle thr = {254, 0, 1048576};
	struct oci_hugepage_limit huge = {"2MB", 4 << 20};
	struct oci_resources r = {
	    .present = true, .has_memory = true, .has_cpu = true, .has_pids = true, .has_blkio = true};
	r.memory.limit = (struct oci_opt_i64){true, 32 << 20};
	r.memory.swap = (struct oci_opt_i64){true, 64 << 20};
	r.memory.reservation = (struct oci_opt_i64){true, 16 << 20};
	r.memory.kernel = (struct oci_opt_i64){true, 1 << 20}; /* deprecated: ignored */
	r.memory.swappiness = (struct oci_opt_u64){true, 10};
	r.cpu.shares = (struct oci_opt_u64){true, 512};
	r.cpu.quota = (struct oci_opt_i64){true, 50000};
	r.cpu.period = (struct oci_opt_u64){true, 100000};
	r.cpu.burst = (struct oci_opt_u64){true, 1000};
	r.cpu.cpus = "1";
	r.pids_limit = (struct oci_opt_i64){true, -1};
	r.blkio.throttle_read_bps = &thr;
	r.blkio.n_throttle_read_bps = 1;
	r.hugepage_limits = &huge;
	r.n_hugepage_limits = 1;
	r.devices = devs;
	r.n_devices = 2;
	int ret = cg.ops->apply(&cg, &r, "linux.resources", &err);
	check_detail(ret == 0, "v1 apply of every supported resource", err.msg);
	char cs[1024];
	fmt(cs, sizeof cs, "%s/cpuset/volt/r1", root);
	check(file_is(mem, "memory.limit_in_bytes", "33554432") &&
		  file_is(mem, "memory.memsw.limit_in_bytes", "67108864") &&
		  file_is(mem, "memory.soft_limit_in_bytes", "16777216") &&
		  file_is(mem, "memory.swappiness", "10") &&
		  access(strcat(strcpy((char[1100]){0}, mem), "/memory.kmem.limit_in_bytes"), F_OK) < 0,
	      "v1 memory: limit, memsw = OCI swap total, soft limit, swappiness; kernel ignored");
	check(file_is(cpu, "cpu.shares", "512") && file_is(cpu, "cpu.cfs_quota_us", "50000") &&
		  file_is(cpu, "cpu.cfs_period_us", "100000") && file_is(cpu, "cpu.cfs_burst_us", "1000") &&
		  file_is(cs, "cpuset.cpus", "1"),
	      "v1 cpu: shares, quota, period, burst, cpuset.cpus");
	check(file_is(pids, "pids.max", "max"), "v1 pids.limit -1 -> max");
	check(file_is(blk, "blkio.throttle.read_bps_device", "254:0 1048576"), "v1 blkio throttle");
	check(file_is(uni, "hugetlb.2MB.max", "4194304") &&
		  file_is(root, "unified/cgroup.subtree_control", "+hugetlb") &&
		  file_is(root, "unified/volt/cgroup.subtree_control", "+hugetlb"),
	      "hybrid: hugetlb goes to the cgroup2 part, delegated down to the leaf");
	/* fake files keep the last write: the config's deny, the last default allow */
	check(file_is(dev, "devices.deny", "c 1:3 rwm") && file_is(dev, "devices.allow", "c 136:* rwm"),
	      "v1 devices: deny all, the defaults, then the config's deny last");

	struct oci_resources bad = {.present = true, .has_blkio = true};
	bad.blkio.weight = (struct oci_opt_u64){true, 500};
	ret = cg.ops->apply(&cg, &bad, "linux.resources", &err);
	check_detail(ret < 0 && strstr(err.msg, "linux.resources.blockIO.weight") &&
			 strstr(err.msg, "blkio.weight"),
		     "blockIO.weight without a weight file: error names field and file", err.msg);
	struct oci_resources net = {.present = true, .has_network = true};
	net.net_class_id = (struct oci_opt_u64){true, 42};
	ret = cg.ops->apply(&cg, &net, "linux.resources", &err);
	check_detail(ret < 0 && strstr(err.msg, "linux.resources.network.classID") &&
			 strstr(err.msg, "net_cls"),
		     "network.classID without net_cls: clear error", err.msg);
	struct oci_kv kv = {"memory.high", "1000000"};
	struct oci_resources un = {.present = true, .unified = {&kv, 1}};
	ret = cg.ops->apply(&cg, &un, "linux.resources", &err);
	check_detail(ret < 0 && strstr(err.msg, "linux.resources.unified[\"memory.high\"]") &&
			 strstr(err.msg, "cgroup v1"),
		     "unified key with no file in the cgroup2 part: error", err.msg);
	kv.key = "hugetlb.2MB.max";
	kv.value = "2097152";
	ret = cg.ops->apply(&cg, &un, "linux.resources", &err);
	check_detail(ret == 0 && file_is(uni, "hugetlb.2MB.max", "2097152"),
		     "unified key present in the cgroup2 part: written", err.msg);

	/* update semantics: lower the limit below memsw, then raise both */
	struct oci_resources up = {.present = true, .has_memory = true};
	up.memory.limit = (struct oci_opt_i64){true, 128 << 20};
	up.memory.swap = (struct oci_opt_i64){true, 256 << 20};
	ret = cg.ops->apply(&cg, &up, "resources", &err);
	check_detail(ret == 0 && file_is(mem, "memory.limit_in_bytes", "134217728") &&
			 file_is(mem, "memory.memsw.limit_in_bytes", "268435456"),
		     "update raises memory and memsw", err.msg);
	up.memory.swap = (struct oci_opt_i64){true, 64 << 20};
	ret = cg.ops->apply(&cg, &up, "resources", &err);
	check_detail(ret < 0 && strstr(err.msg, "resources.memory.swap"),
		     "swap total below the limit refused", err.msg);

	/* stats from fake counter files */
	put(mem, "memory.usage_in_bytes", "1234\n");
	put(mem, "memory.failcnt", "3\n");
	put(mem, "memory.stat", "cache 10\nrss 20\ntotal_cache 30\n");
	put(mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	put(pids, "pids.current", "7\n");
	put(pids, "pids.max", "max\n");
	char acct[1024];
	fmt(acct, sizeof acct, "%s/cpuacct/volt/r1", root);
	put(acct, "cpuacct.usage", "5000\n");
	put(acct, "cpuacct.usage_percpu", "2000 3000 \n");
	put(acct, "cpuacct.usage_user", "4000\n");
	put(acct, "cpuacct.usage_sys", "1000\n");
	struct volt_cgroup_stats *st = malloc(sizeof *st);
	ret = cg.ops->stats(&cg, st, &err);
	check_detail(ret == 0 && st->memory.usage.usage == 1234 && st->memory.usage.failcnt == 3 &&
			 st->memory.n_raw == 3 && st->memory.cache == 30 && st->memory.oom_kills == 2,
		     "v1 stats: memory usage, failcnt, raw memory.stat, oom_kill", err.msg);
	check(ret == 0 && st->pids.current == 7 && st->pids.limit == 0 && st->cpu.total == 5000 &&
		  st->cpu.n_percpu == 2 && st->cpu.percpu[1] == 3000 && st->cpu.user == 4000 &&
		  st->cpu.kernel == 1000,
	      "v1 stats: pids, cpuacct total/percpu/user/kernel");
	check(ret == 0 && st->n_hugetlb == 1 && strcmp(st->hugetlb[0].size, "2MB") == 0 &&
		  st->hugetlb[0].max == 2097152,
	      "hybrid stats: hugetlb from the cgroup2 part");
	free(st);
	uint64_t ooms = 0;
	check_detail(volt_cgroup_oom_kills(&cg, &ooms, &err) == 0 && ooms == 2,
		     "oom_kill counter from memory.oom_control", err.msg);

	/* pause state is one read of freezer.state */
	char fz[1024];
	fmt(fz, sizeof fz, "%s/freezer/volt/r1", root);
	put(fz, "freezer.state", "THAWED\n");
	bool thawed = !volt_cgroup_path_frozen(root, "/volt/r1");
	put(fz, "freezer.state", "FROZEN\n");
	check(thawed && volt_cgroup_path_frozen(root, "/volt/r1"), "frozen check reads freezer.state");
	check_detail(volt_cgroup_freeze(&cg, false, &err) == 0 && file_is(fz, "freezer.state", "THAWED"),
		     "thaw writes THAWED", err.msg);
	cg.ops->destroy(&cg, &err);
}

static void test_v2(const char *root)
{
	put(root, VOLT_CGROUP_FAKE_MARKER, "cgroup2");
	put(root, "cgroup.controllers", "cpu memory pids io hugetlb");
	struct volt_cgroup cg;
	struct volt_error err = {0};
	if (volt_cgroup_init(&cg, root, NULL, "r2", &err) < 0 || cg.ops->create(&cg, &err) < 0) {
		check_detail(false, "v2 fake tree set up", err.msg);
		return;
	}
	char leaf[1024];
	fmt(leaf, sizeof leaf, "%s/volt/r2", root);
	put(leaf, "io.weight", "default 100\n");
	put(leaf, "memory.high", "max\n");

	struct oci_blkio_throttle thr[] = {{254, 0, 1048576}};
	struct oci_hugepage_limit huge = {"2MB", 4 << 20};
	struct oci_kv kv = {"memory.high", "50000000"};
	struct oci_resources r = {.present = true,
				  .has_memory = true,
				  .has_cpu = true,
				  .has_pids = true,
				  .has_blkio = true,
				  .unified = {&kv, 1}};
	r.memory.limit = (struct oci_opt_i64){true, 32 << 20};
	r.memory.swap = (struct oci_opt_i64){true, 64 << 20};
	r.memory.reservation = (struct oci_opt_i64){true, 16 << 20};
	r.cpu.shares = (struct oci_opt_u64){true, 1024};
	r.cpu.quota = (struct oci_opt_i64){true, 50000};
	r.cpu.period = (struct oci_opt_u64){true, 100000};
	r.cpu.burst = (struct oci_opt_u64){true, 1000};
	r.cpu.idle = (struct oci_opt_i64){true, 1};
	r.cpu.mems = "0";
	r.pids_limit = (struct oci_opt_i64){true, 64};
	r.blkio.weight = (struct oci_opt_u64){true, 1000};
	r.blkio.throttle_write_iops = thr;
	r.blkio.n_throttle_write_iops = 1;
	r.hugepage_limits = &huge;
	r.n_hugepage_limits = 1;
	int ret = cg.ops->apply(&cg, &r, "linux.resources", &err);
	check_detail(ret == 0, "v2 apply of every supported resource", err.msg);
	check(file_is(leaf, "memory.max", "33554432") && file_is(leaf, "memory.swap.max", "33554432") &&
		  file_is(leaf, "memory.low", "16777216"),
	      "v2 memory: memory.max, swap.max = swap - limit, memory.low");
	check(file_is(leaf, "cpu.weight", "39") && file_is(leaf, "cpu.max", "50000 100000") &&
		  file_is(leaf, "cpu.max.burst", "1000") && file_is(leaf, "cpu.idle", "1") &&
		  file_is(leaf, "cpuset.mems", "0"),
	      "v2 cpu: weight from shares, cpu.max, burst, idle, cpuset.mems");
	check(file_is(leaf, "pids.max", "64") && file_is(leaf, "io.weight", "default 10000") &&
		  file_is(leaf, "io.max", "254:0 wiops=1048576") &&
		  file_is(leaf, "hugetlb.2MB.max", "4194304") && file_is(leaf, "memory.high", "50000000"),
	      "v2 pids.max, io.weight, io.max, hugetlb.2MB.max, unified memory.high");

	struct oci_resources q = {.present = true, .has_cpu = true};
	q.cpu.quota = (struct oci_opt_i64){true, -1};
	ret = cg.ops->apply(&cg, &q, "resources", &err);
	check_detail(ret == 0 && file_is(leaf, "cpu.max", "max"), "v2 quota -1 -> cpu.max max", err.msg);

	struct oci_resources bad = {.present = true, .has_memory = true};
	bad.memory.swappiness = (struct oci_opt_u64){true, 60};
	ret = cg.ops->apply(&cg, &bad, "linux.resources", &err);
	check_detail(ret < 0 && strstr(err.msg, "linux.resources.memory.swappiness") &&
			 strstr(err.msg, "cgroup v2"),
		     "v2 swappiness: clear error", err.msg);
	memset(&bad, 0, sizeof bad);
	bad.present = bad.has_memory = true;
	bad.memory.disable_oom_killer = (struct oci_opt_bool){true, true};
	ret = cg.ops->apply(&cg, &bad, "linux.resources", &err);
	check_detail(ret < 0 && strstr(err.msg, "linux.resources.memory.disableOOMKiller"),
		     "v2 disableOOMKiller: clear error", err.msg);
	memset(&bad, 0, sizeof bad);
	bad.present = bad.has_network = true;
	bad.net_class_id = (struct oci_opt_u64){true, 1};
	ret = cg.ops->apply(&cg, &bad, "linux.resources", &err);
	check_detail(ret < 0 && strstr(err.msg, "linux.resources.network.classID"),
		     "v2 network.classID: clear error", err.msg);
	struct oci_kv evil = {"../../etc/passwd", "x"};
	struct oci_resources ev = {.present = true, .unified = {&evil, 1}};
	ret = cg.ops->apply(&cg, &ev, "linux.resources", &err);
	check_detail(ret < 0 && strstr(err.msg, "unified"), "unified key with a path rejected", err.msg);

	put(leaf, "memory.current", "4096\n");
	put(leaf, "memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n");
	put(leaf, "memory.stat", "anon 100\nfile 200\n");
	put(leaf, "cpu.stat",
	    "usage_usec 10\nuser_usec 7\nsystem_usec 3\nnr_periods 4\nnr_throttled 2\n"
	    "throttled_usec 9\n");
	put(leaf, "pids.current", "3\n");
	put(leaf, "io.stat", "254:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n");
	struct volt_cgroup_stats *st = malloc(sizeof *st);
	ret = cg.ops->stats(&cg, st, &err);
	check_detail(ret == 0 && st->memory.usage.usage == 4096 && st->memory.usage.limit == 33554432 &&
			 st->memory.usage.failcnt == 5 && st->memory.oom_kills == 1 &&
			 st->memory.cache == 200,
		     "v2 stats: memory.current/max/events/stat", err.msg);
	check(ret == 0 && st->cpu.total == 10000 && st->cpu.user == 7000 && st->cpu.kernel == 3000 &&
		  st->cpu.throttled_periods == 2 && st->cpu.throttled_time == 9000 && st->pids.current == 3 &&
		  st->pids.limit == 64,
	      "v2 stats: cpu.stat in ns, pids");
	check(ret == 0 && st->blkio.n_bytes == 3 && st->blkio.bytes[1].value == 200 &&
		  strcmp(st->blkio.bytes[1].op, "Write") == 0 && st->blkio.n_ios == 3,
	      "v2 stats: io.stat");
	free(st);
	uint64_t ooms = 0;
	check_detail(volt_cgroup_oom_kills(&cg, &ooms, &err) == 0 && ooms == 1,
		     "v2 oom_kill counter from memory.events", err.msg);
	put(leaf, "cgroup.freeze", "1\n");
	check(volt_cgroup_path_frozen(root, "/volt/r2"), "v2 frozen check reads cgroup.freeze");
	cg.ops->destroy(&cg, &err);
}

int main(void)
{
	char tmpl[] = "/tmp/volt-cgres.XXXXXX";
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	char v1[512], v2[512];
	fmt(v1, sizeof v1, "%s/v1", tmpl);
	fmt(v2, sizeof v2, "%s/v2", tmpl);
	mkdir(v1, 0755);
	mkdir(v2, 0755);
	test_conversions();
	test_device_prog();
	test_v1(v1);
	test_v2(v2);
	rm_tree(tmpl);
	return tap_done();
}
