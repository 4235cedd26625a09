/* QEMU TCG plugin (API v1) counting executed guest instructions between markers: `dbg #n` on Arm
 * (qemu-system-arm), `srli x0, x0, n` on RISC-V (qemu-system-riscv32, a HINT designated for custom use).
 *
 * QEMU's qemu-plugin.h is not shipped by Debian, so the few API-v1 entry points used here are declared
 * below from their documented signatures (our own declarations, ABI of QEMU 7.x, plugin API version 1).
 *
 * Counting: every translated block adds its instruction count to a 64-bit counter when it starts
 * executing (an inline add, exact and cheap). A `dbg #n` (Thumb-2 hint, halfwords F3AF 80Fn; a no-op on
 * real cores and in QEMU) gets an exec callback that records (n, instructions executed before this
 * marker) — the counter minus the block's instructions from the marker onwards.
 *
 * Loads are not counted: QEMU 7.2's memory callbacks (inline or not) were tried and missed every access
 * to the mps2 boards' RAM, so load figures in reports are the kernel variants' analytic estimates.
 *
 * Output (file given by `out=PATH`, else stderr), one line per executed marker, then a total:
 *     M <n> <instructions executed before this marker>
 *     T <total instructions executed>
 * The instructions strictly between two markers a and b are M_b - M_a - 1 (the marker a itself excluded).
 * Marker protocol of the generated code (mcu-backend/harness/README.md): dbg #1 before each layer's
 * kernel, dbg #2 after it, dbg #3 / dbg #4 around a whole invoke. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
/* Only the first field is read (the target's name, e.g. "arm" or "riscv32"); it has led the struct since API v0. */
typedef struct qemu_info_t { const char *target_name; } qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
typedef uint32_t qemu_plugin_meminfo_t;
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb, enum qemu_plugin_cb_flags flags,
                                      enum qemu_plugin_mem_rw rw, void *userdata);
int qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

static uint64_t insn_count;
static FILE *out;
/* The guest is RISC-V (markers and instruction lengths differ from Thumb's). */
static bool riscv;

/* Executed markers, kept in memory and written at exit. */
static struct { uint32_t n; uint64_t before; } *marks;
static size_t n_marks, cap_marks;

/* Profile mode (`profile=PATH`), the input of the cycle model (mcu-backend/timing/): every translated block
 * is written once as `B <id> <vaddr hex> <n> <hex bytes of insn 0> ... <insn n-1>`; each execution of a block
 * is counted (an exec callback), and so is its fall-through: when the next block to run starts at the
 * address just past this block's end, the block ended without a taken branch. At every marker the counts
 * since the previous marker are written and reset, as a segment:
 *     S <marker n>                      the segment ends at this marker
 *     C <id> <executions> <fall-throughs> <jumped-in>   whole executions of block id in the segment, how
 *                                       often it ended by falling through, and how often it was entered
 *                                       other than by a fall-through (a branch target: the refill's cost
 *                                       depends on the target's alignment and width)
 *     H <id> <from> <to>                one partial execution: instructions [from, to) of block id
 * (the block holding a marker is split there: its head belongs to the segment that ends at the marker,
 * its tail to the next one). At exit a last `S 0` segment holds the rest. */
/* Flash caches (profile mode, optional: `flash=LO:HI` the code memory standing for the part's flash,
 * `icache=BYTES:LINE:WAYS`, `dcache=BYTES:LINE:WAYS`): set-associative LRU caches of the part's
 * instruction path (block fetches from flash) and data path (loads from flash, e.g. weights), simulated on
 * the executed addresses. Per segment: `I <lines fetched> <misses entered by a jump> <sequential misses>`
 * and `F <flash loads> <misses>`. QEMU 7.2's memory callbacks do see these boards' accesses (checked on
 * mps2-an386: loads and stores to SRAM and flash are reported). */
struct cache { uint32_t sets, ways, line_shift; uint64_t *tag, *age, clock; };
static struct cache icache, dcache;
static uint64_t flash_lo, flash_hi;
static uint64_t i_lines, i_jmiss, i_smiss, f_loads, f_miss;

static int cache_init(struct cache *c, const char *spec)
{
  unsigned long bytes, line, ways;
  if (sscanf(spec, "%lu:%lu:%lu", &bytes, &line, &ways) != 3 || !bytes || !line || !ways || (line & (line - 1))) return -1;
  c->ways = (uint32_t)ways;
  c->sets = (uint32_t)(bytes / line / ways);
  if (!c->sets) c->sets = 1;
  c->line_shift = 0;
  while ((1ul << c->line_shift) < line) c->line_shift++;
  c->tag = calloc((size_t)c->sets * c->ways, sizeof *c->tag);
  c->age = calloc((size_t)c->sets * c->ways, sizeof *c->age);
  return c->tag && c->age ? 0 : -1;
}

/* True on a hit; on a miss the least recently used way of the set takes the line. Tags are line + 1 (0 = empty). */
static bool cache_access(struct cache *c, uint64_t addr)
{
  uint64_t line = addr >> c->line_shift;
  uint32_t set = (uint32_t)(line % c->sets);
  uint64_t *tag = c->tag + (size_t)set * c->ways, *age = c->age + (size_t)set * c->ways;
  uint32_t victim = 0;
  c->clock++;
  for (uint32_t w = 0; w < c->ways; w++) {
    if (tag[w] == line + 1) { age[w] = c->clock; return true; }
    if (age[w] < age[victim]) victim = w;
  }
  tag[victim] = line + 1;
  age[victim] = c->clock;
  return false;
}

static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
  (void)vcpu; (void)udata;
  if (vaddr < flash_lo || vaddr >= flash_hi || qemu_plugin_mem_is_store(info)) return;
  f_loads++;
  if (dcache.sets && !cache_access(&dcache, vaddr)) f_miss++;
}

struct tb_rec {
  uint32_t id, n, dirty;
  uint64_t vaddr, end;
  uint64_t count, fall, jumped;
  struct tb_rec *next_dirty;
};
static FILE *prof;
static uint32_t n_tbs;
static struct tb_rec *last_tb, *dirty_head;
static struct tb_rec *tail_tb; /* the block whose tail [tail_from, n) opens the current segment */
static uint32_t tail_from;
static uint64_t tb_seq, flush_seq; /* block executions so far, and at the last flush */

static void on_tb_exec(unsigned int vcpu, void *udata)
{
  (void)vcpu;
  struct tb_rec *r = udata;
  bool jumped = !(last_tb && last_tb->end == r->vaddr);
  if (!jumped) {
    last_tb->fall++;
    /* The previous block may have been flushed at a marker since it ran (the tail after a marker): its
     * fall-through belongs to the new segment, so it is listed there again. */
    if (!last_tb->dirty) { last_tb->dirty = 1; last_tb->next_dirty = dirty_head; dirty_head = last_tb; }
  } else r->jumped++;
  if (icache.sets && r->vaddr >= flash_lo && r->vaddr < flash_hi) {
    for (uint64_t a = r->vaddr >> icache.line_shift; a <= (r->end - 1) >> icache.line_shift; a++) {
      i_lines++;
      if (!cache_access(&icache, a << icache.line_shift)) {
        if (jumped && a == r->vaddr >> icache.line_shift) i_jmiss++; else i_smiss++;
      }
    }
  }
  r->count++;
  tb_seq++;
  if (!r->dirty) { r->dirty = 1; r->next_dirty = dirty_head; dirty_head = r; }
  last_tb = r;
}

static void write_mem_stats(void)
{
  if (icache.sets) fprintf(prof, "I %llu %llu %llu\n", (unsigned long long)i_lines, (unsigned long long)i_jmiss, (unsigned long long)i_smiss);
  if (flash_hi) fprintf(prof, "F %llu %llu\n", (unsigned long long)f_loads, (unsigned long long)f_miss);
  i_lines = i_jmiss = i_smiss = f_loads = f_miss = 0;
}

/* Ends the segment at a marker that is instruction `at` of the block running now (last_tb). */
static void flush_segment(uint32_t marker, uint32_t at)
{
  if (!prof) return;
  struct tb_rec *cur = marker ? last_tb : NULL;
  if (cur && tail_tb == cur && tb_seq == flush_seq) {
    /* Two markers in one execution of one block: the segment is the instructions between them. */
    fprintf(prof, "H %u %u %u\n", cur->id, tail_from, at);
    write_mem_stats();
    fprintf(prof, "S %u\n", marker);
    tail_from = at;
    return;
  }
  flush_seq = tb_seq;
  if (tail_tb) fprintf(prof, "H %u %u %u\n", tail_tb->id, tail_from, tail_tb->n);
  for (struct tb_rec *r = dirty_head; r; r = r->next_dirty) {
    uint64_t c = r->count - (r == cur ? 1 : 0);
    if (c || r->fall || r->jumped)
      fprintf(prof, "C %u %llu %llu %llu\n", r->id, (unsigned long long)c, (unsigned long long)r->fall, (unsigned long long)r->jumped);
    r->count = 0; r->fall = 0; r->jumped = 0; r->dirty = 0;
  }
  dirty_head = NULL;
  if (cur && at > 0) fprintf(prof, "H %u 0 %u\n", cur->id, at);
  write_mem_stats();
  fprintf(prof, "S %u\n", marker);
  tail_tb = cur; tail_from = at;
}

/* userdata of a marker callback: the marker number and how many of its block's instructions are at or
 * after the marker (the counter already includes them when the callback runs). Packed in a pointer. */
static void on_marker(unsigned int vcpu, void *udata)
{
  (void)vcpu;
  uintptr_t u = (uintptr_t)udata;
  uint32_t n = (uint32_t)(u & 0xf);
  uint64_t tail = u >> 4;
  if (n_marks == cap_marks) {
    cap_marks = cap_marks ? cap_marks * 2 : 4096;
    marks = realloc(marks, cap_marks * sizeof *marks);
    if (!marks) { fprintf(stderr, "icount: out of memory\n"); exit(99); }
  }
  marks[n_marks].n = n;
  marks[n_marks].before = insn_count - tail;
  n_marks++;
  if (prof && last_tb) flush_segment(n, (uint32_t)(last_tb->n - tail));
}

/* QEMU 7.2 sometimes reports a 32-bit Thumb instruction at a block start with a size of 6 (its first
 * four data bytes are right), so only a size below 4 rules an instruction out. */
static bool is_dbg(const struct qemu_plugin_insn *insn, uint32_t *n)
{
  const uint8_t *b = qemu_plugin_insn_data(insn);
  if (riscv) {
    /* srli x0, x0, n: opcode OP-IMM, funct3 101, rd = rs1 = x0, shamt n (1..15) in bits 24:20. */
    if (qemu_plugin_insn_size(insn) != 4) return false;
    uint32_t w = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    uint32_t sh = (w >> 20) & 0x1f;
    if ((w & ~(0x1fu << 20)) != 0x5013u || sh < 1 || sh > 15) return false;
    *n = sh;
    return true;
  }
  if (qemu_plugin_insn_size(insn) < 2) return false;
  /* ARMv6-M marker (runtime.h): the reserved 16-bit hint BFx0, x = n + 7 (8..15), a NOP. Its first halfword
   * (1011...) can never start a 32-bit instruction, so the reported size (QEMU 7.2 misreports some at a
   * block start) is not consulted. */
  uint16_t hw0 = (uint16_t)(b[0] | b[1] << 8);
  if ((hw0 & 0xFF0F) == 0xBF00 && ((hw0 >> 4) & 0xF) >= 8) {
    *n = ((hw0 >> 4) & 0xF) - 7;
    return true;
  }
  if (qemu_plugin_insn_size(insn) < 4) return false;
  uint16_t hw1 = (uint16_t)(b[0] | b[1] << 8), hw2 = (uint16_t)(b[2] | b[3] << 8);
  if (hw1 != 0xF3AF || (hw2 & 0xFFF0) != 0x80F0) return false;
  *n = hw2 & 0xF;
  return true;
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insn_count, n);
  if (prof) {
    struct tb_rec *r = calloc(1, sizeof *r);
    if (!r) { fprintf(stderr, "icount: out of memory\n"); exit(99); }
    r->id = n_tbs++;
    r->n = (uint32_t)n;
    r->vaddr = qemu_plugin_tb_vaddr(tb);
    fprintf(prof, "B %u %llx %u", r->id, (unsigned long long)r->vaddr, r->n);
    uint64_t end = r->vaddr;
    for (size_t i = 0; i < n; i++) {
      struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
      const uint8_t *b = qemu_plugin_insn_data(insn);
      /* The Thumb length from the first halfword (QEMU 7.2 misreports some sizes at a block start); on
       * RISC-V from the low two bits (11: 32-bit, else a 16-bit compressed instruction). */
      uint16_t hw = (uint16_t)(b[0] | b[1] << 8);
      size_t len = riscv ? ((hw & 3) == 3 ? 4 : 2) : (hw >> 11) >= 0x1d ? 4 : 2;
      fputc(' ', prof);
      for (size_t k = 0; k < len; k++) fprintf(prof, "%02x", b[k]);
      end = qemu_plugin_insn_vaddr(insn) + len;
    }
    fputc('\n', prof);
    r->end = end;
    if (flash_hi) {
      for (size_t i = 0; i < n; i++)
        qemu_plugin_register_vcpu_mem_cb(qemu_plugin_tb_get_insn(tb, i), on_mem, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
    }
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb_exec, QEMU_PLUGIN_CB_NO_REGS, r);
  }
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    uint32_t m;
    if (is_dbg(insn, &m)) {
      uintptr_t u = ((uintptr_t)(n - i) << 4) | m;
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS, (void *)u);
    }
  }
}

static void on_exit_cb(qemu_plugin_id_t id, void *udata)
{
  (void)id; (void)udata;
  FILE *f = out ? out : stderr;
  for (size_t i = 0; i < n_marks; i++) fprintf(f, "M %u %llu\n", marks[i].n, (unsigned long long)marks[i].before);
  fprintf(f, "T %llu\n", (unsigned long long)insn_count);
  fflush(f);
  if (out) fclose(out);
  out = NULL;
  if (prof) { flush_segment(0, 0); fclose(prof); prof = NULL; }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
  riscv = info && info->target_name && strncmp(info->target_name, "riscv", 5) == 0;
  for (int i = 0; i < argc; i++) {
    if (strncmp(argv[i], "out=", 4) == 0) {
      out = fopen(argv[i] + 4, "w");
      if (!out) { fprintf(stderr, "icount: cannot open %s\n", argv[i] + 4); return -1; }
    } else if (strncmp(argv[i], "flash=", 6) == 0) {
      unsigned long long lo, hi;
      if (sscanf(argv[i] + 6, "%llx:%llx", &lo, &hi) != 2 || hi <= lo) { fprintf(stderr, "icount: bad %s\n", argv[i]); return -1; }
      flash_lo = lo; flash_hi = hi;
    } else if (strncmp(argv[i], "icache=", 7) == 0) {
      if (cache_init(&icache, argv[i] + 7)) { fprintf(stderr, "icount: bad %s\n", argv[i]); return -1; }
    } else if (strncmp(argv[i], "dcache=", 7) == 0) {
      if (cache_init(&dcache, argv[i] + 7)) { fprintf(stderr, "icount: bad %s\n", argv[i]); return -1; }
    } else if (strncmp(argv[i], "profile=", 8) == 0) {
      prof = fopen(argv[i] + 8, "w");
      if (!prof) { fprintf(stderr, "icount: cannot open %s\n", argv[i] + 8); return -1; }
    }
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
  qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
  return 0;
}
