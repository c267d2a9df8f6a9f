/*
 * applet: a stand-in for a busybox applet in /bin. The initrd holds a copy
 * of this program under each applet's name (/bin/wc, /bin/ls...), because
 * the kernel's initrd unpacker may skip symlinks. It runs /bin/busybox with
 * the same arguments; busybox picks the applet from argv[0]'s last part.
 *
 * Why not only `busybox wc`: busybox's own shell finds applets by exec'ing
 * /proc/self/exe, which Keel does not have, then falls back to the PATH.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    (void)argc;
    const char *slash = strrchr(argv[0], '/');
    if (slash)
        argv[0] = (char *)slash + 1;
    execve("/bin/busybox", argv, environ);
    const char *msg = ": cannot exec /bin/busybox\n";
    if (write(2, argv[0], strlen(argv[0])) < 0 || write(2, msg, strlen(msg)) < 0)
        return 127;
    return errno == ENOENT ? 127 : 126;
}
