/* Errno names for messages a student reads ("init: cannot exec /bin/sh: ENOENT"). */
#include "lib/errno.h"

const char *errno_name(long err)
{
    static const char *names[] = {
        [EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR", [EIO] = "EIO",
        [ENXIO] = "ENXIO", [E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC", [ENOTBLK] = "ENOTBLK", [EBADF] = "EBADF", [ECHILD] = "ECHILD",
        [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM", [EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY",
        [EEXIST] = "EEXIST", [EXDEV] = "EXDEV", [ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR",
        [EINVAL] = "EINVAL", [ENFILE] = "ENFILE", [EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY", [EFBIG] = "EFBIG",
        [ENOSPC] = "ENOSPC", [ESPIPE] = "ESPIPE", [EROFS] = "EROFS", [EMLINK] = "EMLINK", [EPIPE] = "EPIPE",
        [ERANGE] = "ERANGE", [ENAMETOOLONG] = "ENAMETOOLONG", [ENOSYS] = "ENOSYS", [ENOTEMPTY] = "ENOTEMPTY",
        [ELOOP] = "ELOOP", [ENOTSUP] = "EOPNOTSUPP", [ETIMEDOUT] = "ETIMEDOUT", [EUCLEAN] = "EUCLEAN",
    };
    if (err < 0)
        err = -err;
    if (err < (long)(sizeof names / sizeof names[0]) && names[err])
        return names[err];
    return "an error";
}
