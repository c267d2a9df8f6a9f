/*
 * test_badelf: execve of malformed executables that the test writes itself.
 * A minimal valid ELF (one PT_LOAD, code: exit(42)) is the base; each case
 * breaks one thing. The expected outcome of each is what Linux does: an
 * errno from execve (nothing replaced yet), or a death by signal (the old
 * image was already gone, or the program faults), or the exit code 42.
 * The kernel must never panic; Keel should agree with Linux case by case.
 * (Linux ignores EI_CLASS and EI_DATA, so no case tests them; code cut off
 * by the end of the file reads as zeros, and those zeros fault.)
 */
#include "testlib.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BASE 0x400000ul
#define CODE_OFF (sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr))

/* mov $60, %eax; mov $42, %edi; syscall */
static const unsigned char exit42[] = {0xb8, 0x3c, 0, 0, 0, 0xbf, 0x2a, 0, 0, 0, 0x0f, 0x05};

struct image {
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    unsigned char code[sizeof exit42];
};

static void valid_image(struct image *im)
{
    memset(im, 0, sizeof *im);
    memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
    im->eh.e_ident[EI_CLASS] = ELFCLASS64;
    im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    im->eh.e_ident[EI_VERSION] = EV_CURRENT;
    im->eh.e_type = ET_EXEC;
    im->eh.e_machine = EM_X86_64;
    im->eh.e_version = EV_CURRENT;
    im->eh.e_entry = BASE + CODE_OFF;
    im->eh.e_phoff = sizeof(Elf64_Ehdr);
    im->eh.e_ehsize = sizeof(Elf64_Ehdr);
    im->eh.e_phentsize = sizeof(Elf64_Phdr);
    im->eh.e_phnum = 1;
    im->ph.p_type = PT_LOAD;
    im->ph.p_flags = PF_R | PF_X;
    im->ph.p_offset = 0;
    im->ph.p_vaddr = im->ph.p_paddr = BASE;
    im->ph.p_filesz = im->ph.p_memsz = sizeof *im;
    im->ph.p_align = 4096;
    memcpy(im->code, exit42, sizeof exit42);
}

/* Outcomes, written the way the FAIL lines print them. */
#define EXIT42 "exit 42"
#define SIGSEGV_ "signal 11"
#define SIGBUS_ "signal 7"

struct bad_case {
    const char *name;
    void (*mutate)(struct image *im, size_t *len);
    const char *linux_outcome;
    mode_t mode;                /* 0 = 0755 */
};

static void m_none(struct image *im, size_t *len) { (void)im; (void)len; }
static void m_empty(struct image *im, size_t *len) { (void)im; *len = 0; }
static void m_bad_magic(struct image *im, size_t *len) { (void)len; im->eh.e_ident[1] = 'X'; }
static void m_machine(struct image *im, size_t *len) { (void)len; im->eh.e_machine = EM_AARCH64; }
static void m_type_rel(struct image *im, size_t *len) { (void)len; im->eh.e_type = ET_REL; }
static void m_short_header(struct image *im, size_t *len) { (void)im; *len = 20; }
static void m_header_only(struct image *im, size_t *len) { (void)im; *len = sizeof(Elf64_Ehdr); }
static void m_phnum_zero(struct image *im, size_t *len) { (void)len; im->eh.e_phnum = 0; }
static void m_phnum_huge(struct image *im, size_t *len) { (void)len; im->eh.e_phnum = 0xffff; }
static void m_phentsize(struct image *im, size_t *len) { (void)len; im->eh.e_phentsize = 32; }
static void m_phoff_past_end(struct image *im, size_t *len) { (void)len; im->eh.e_phoff = 1 << 20; }
static void m_phoff_huge(struct image *im, size_t *len) { (void)len; im->eh.e_phoff = 0xfffffffffffff000ul; }
static void m_kernel_vaddr(struct image *im, size_t *len)
{
    (void)len;
    im->ph.p_vaddr = 0xffff800000000000ul;
    im->eh.e_entry = im->ph.p_vaddr + CODE_OFF;
}
static void m_kernel_image_vaddr(struct image *im, size_t *len)
{
    (void)len;
    im->ph.p_vaddr = 0xffffffff80000000ul;
    im->eh.e_entry = im->ph.p_vaddr + CODE_OFF;
}
static void m_noncanonical_vaddr(struct image *im, size_t *len)
{
    (void)len;
    im->ph.p_vaddr = 0x0000800000000000ul;
    im->eh.e_entry = im->ph.p_vaddr + CODE_OFF;
}
static void m_segment_crosses_top(struct image *im, size_t *len)
{
    (void)len;
    im->ph.p_memsz = 0x0000800000000000ul - BASE + 4096;
}
static void m_memsz_huge(struct image *im, size_t *len) { (void)len; im->ph.p_memsz = 1ul << 46; }
static void m_memsz_wraps(struct image *im, size_t *len) { (void)len; im->ph.p_memsz = 0xfffffffffffff000ul; }
static void m_filesz_gt_memsz(struct image *im, size_t *len) { (void)len; im->ph.p_memsz = 16; }
static void m_filesz_past_eof(struct image *im, size_t *len) { (void)len; im->ph.p_filesz = 1 << 20; im->ph.p_memsz = 1 << 20; }
static void m_offset_past_eof(struct image *im, size_t *len) { (void)len; im->ph.p_offset = 1 << 20; }
static void m_offset_misaligned(struct image *im, size_t *len) { (void)len; im->ph.p_offset = 100; }
static void m_entry_zero(struct image *im, size_t *len) { (void)len; im->eh.e_entry = 0; }
static void m_entry_kernel(struct image *im, size_t *len) { (void)len; im->eh.e_entry = 0xffff800000000000ul; }
static void m_no_load(struct image *im, size_t *len) { (void)len; im->ph.p_type = PT_NOTE; }
static void m_truncated_code(struct image *im, size_t *len) { (void)im; *len = CODE_OFF + 2; }
static void m_not_executable(struct image *im, size_t *len) { (void)im; (void)len; }
static void m_interp_missing(struct image *im, size_t *len)
{
    /* The only program header becomes PT_INTERP naming a path that does not exist. */
    (void)len;
    static const char path[] = "/nonexistent/ld.so";
    im->ph.p_type = PT_INTERP;
    im->ph.p_offset = CODE_OFF;
    im->ph.p_filesz = im->ph.p_memsz = sizeof exit42;
    memcpy(im->code, path, sizeof exit42 - 1);
    im->code[sizeof exit42 - 1] = 0;
}

static const struct bad_case cases[] = {
    {"badelf-valid-runs", m_none, EXIT42, 0},
    {"badelf-empty-file", m_empty, "ENOEXEC", 0},
    {"badelf-bad-magic", m_bad_magic, "ENOEXEC", 0},
    {"badelf-wrong-machine", m_machine, "ENOEXEC", 0},
    {"badelf-et-rel", m_type_rel, "ENOEXEC", 0},
    {"badelf-short-header", m_short_header, "ENOEXEC", 0},
    {"badelf-header-only", m_header_only, "ENOEXEC", 0},
    {"badelf-phnum-zero", m_phnum_zero, "ENOEXEC", 0},
    {"badelf-phnum-huge", m_phnum_huge, "ENOEXEC", 0},
    {"badelf-bad-phentsize", m_phentsize, "ENOEXEC", 0},
    {"badelf-phoff-past-eof", m_phoff_past_end, "ENOEXEC", 0},
    {"badelf-phoff-huge", m_phoff_huge, "ENOEXEC", 0},
    {"badelf-segment-in-kernel-half", m_kernel_vaddr, SIGSEGV_, 0},
    {"badelf-segment-at-kernel-image", m_kernel_image_vaddr, SIGSEGV_, 0},
    {"badelf-segment-noncanonical", m_noncanonical_vaddr, SIGSEGV_, 0},
    {"badelf-segment-crosses-user-top", m_segment_crosses_top, SIGSEGV_, 0},
    {"badelf-memsz-64tib", m_memsz_huge, SIGSEGV_, 0},
    {"badelf-memsz-wraps", m_memsz_wraps, SIGSEGV_, 0},
    {"badelf-filesz-gt-memsz", m_filesz_gt_memsz, SIGSEGV_, 0},
    {"badelf-filesz-past-eof", m_filesz_past_eof, EXIT42, 0},
    {"badelf-offset-past-eof", m_offset_past_eof, SIGBUS_, 0},
    {"badelf-offset-misaligned", m_offset_misaligned, SIGSEGV_, 0},
    {"badelf-entry-zero", m_entry_zero, SIGSEGV_, 0},
    {"badelf-entry-in-kernel", m_entry_kernel, SIGSEGV_, 0},
    {"badelf-no-pt-load", m_no_load, SIGSEGV_, 0},
    {"badelf-truncated-code", m_truncated_code, SIGSEGV_, 0},
    {"badelf-not-executable-mode", m_not_executable, "EACCES", 0644},
    {"badelf-missing-interpreter", m_interp_missing, "ENOENT", 0},
};

/*
 * A case must not stop the rest: after CASE_SECONDS the child is killed and
 * the case reported as hung (and as unkillable if SIGKILL does not help).
 */
enum { CASE_SECONDS = 20 };
static const char *wait_with_deadline(pid_t pid, int *st)
{
    int killed = 0;
    for (int ms = 0; ms < (CASE_SECONDS + 5) * 1000; ms += 10) {
        pid_t r = waitpid(pid, st, WNOHANG);
        if (r == pid)
            return killed ? "hung (killed after 20 s)" : NULL;
        if (r < 0 && errno != EINTR)
            return "lost the child";
        if (!killed && ms >= CASE_SECONDS * 1000) {
            kill(pid, SIGKILL);
            killed = 1;
        }
        t_msleep(10);
    }
    return "hung, and SIGKILL did not end it";
}

/* Writes the case's file, runs it in a child, describes what happened. */
static const char *run_case(const struct bad_case *c, char *out, size_t outlen)
{
    struct image im;
    size_t len = sizeof im;
    valid_image(&im);
    c->mutate(&im, &len);
    unlink("prog");
    int fd = open("prog", O_WRONLY | O_CREAT | O_TRUNC, c->mode ? c->mode : 0755);
    if (fd < 0 || (len && write(fd, &im, len) != (ssize_t)len)) {
        snprintf(out, outlen, "cannot write the file: %s", t_errname(errno));
        return out;
    }
    close(fd);
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return "pipe failed";
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"prog", NULL}, *envp[] = {NULL};
        execve("prog", argv, envp);
        int e = errno;
        if (write(pfd[1], &e, sizeof e) != sizeof e)
            _exit(125);
        _exit(126);
    }
    close(pfd[1]);
    int st = 0;
    const char *hung = wait_with_deadline(pid, &st);
    if (hung) {
        close(pfd[0]);
        return hung;
    }
    int e = 0;
    ssize_t n = read(pfd[0], &e, sizeof e);
    close(pfd[0]);
    if (n == sizeof e)
        snprintf(out, outlen, "%s", t_errname(e));
    else
        snprintf(out, outlen, "%s", t_status(st));
    return out;
}

int main(void)
{
    t_begin("test_badelf");
    if (!t_scratch())
        return t_end();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[128];
        run_case(&cases[i], got, sizeof got);
        t_check(cases[i].name, !strcmp(got, cases[i].linux_outcome), "got %s, Linux gives %s", got,
                cases[i].linux_outcome);
    }
    t_ok("kernel-survived");
    t_scratch_cleanup();
    return t_end();
}
