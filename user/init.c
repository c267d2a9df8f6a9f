/*
 * init: PID 1. Gives itself the console as fds 0, 1, 2, runs /etc/rc once,
 * then keeps a shell on the console (a new one when it exits), and reaps
 * every orphan the kernel hands it.
 *
 * The kernel runs `init=PATH args` instead of /bin/init when the command
 * line says so, so init takes no arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CONSOLE "/dev/console"
#define SHELL "/bin/sh"
#define RC "/etc/rc"

static void say(const char *msg)
{
    if (write(2, msg, strlen(msg)) < 0) {
        /* nothing else to tell it to */
    }
}

/* Any of fds 0, 1, 2 that is not open becomes the console. */
static void open_console_fds(void)
{
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            continue;
        int c = open(CONSOLE, O_RDWR);
        if (c < 0)
            return;             /* no console: nowhere to write the error either */
        if (c != fd) {
            dup2(c, fd);
            close(c);
        }
    }
}

/*
 * The child side of a start: a new session whose controlling terminal is the
 * console, default signal actions, then exec. Never returns.
 */
static void exec_on_console(char *const argv[])
{
    char *const envp[] = {"PATH=/bin", "HOME=/", "TERM=vt100", NULL};
    setsid();
    int c = open(CONSOLE, O_RDWR);
    if (c >= 0) {
        ioctl(c, TIOCSCTTY, 0);  /* Linux does not make /dev/console a ctty by itself */
        dup2(c, 0);
        dup2(c, 1);
        dup2(c, 2);
        if (c > 2)
            close(c);
    }
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(argv[0], argv, envp);
    char msg[128];
    snprintf(msg, sizeof msg, "init: cannot exec %s: %s\n", argv[0], strerror(errno));
    say(msg);
    _exit(127);
}

static pid_t start(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0)
        exec_on_console(argv);
    if (pid < 0)
        say("init: fork failed\n");
    return pid;
}

/* Waits for `pid`, reaping any other child (orphans included) meanwhile. */
static void wait_for(pid_t pid)
{
    for (;;) {
        int status;
        pid_t r = wait(&status);
        if (r == pid || (r < 0 && errno == ECHILD))
            return;
    }
}

int main(void)
{
    open_console_fds();

    if (access(RC, R_OK) == 0) {
        char *rc_argv[] = {SHELL, RC, NULL};
        pid_t rc = start(rc_argv);
        if (rc > 0)
            wait_for(rc);
    }

    /* A shell that dies at once (cannot exec, say) is restarted once a second, not in a loop. */
    for (;;) {
        char *sh_argv[] = {SHELL, NULL};
        time_t started = time(NULL);
        pid_t sh = start(sh_argv);
        if (sh > 0)
            wait_for(sh);
        if (time(NULL) - started < 1)
            sleep(1);
    }
}
