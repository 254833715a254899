#include "hdf5_probe.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../CHDF5/shim.h"  // <hdf5.h> and the link check the reader uses (one definition for both)

static int walk(const char *path) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) return 1;
    int status = 0;
    H5G_info_t info;
    if (H5Gget_info(file, &info) < 0) { H5Fclose(file); return 1; }
    for (hsize_t i = 0; i < info.nlinks && i < ((hsize_t)1 << 22); i++) {
        char name[1025];
        ssize_t n = H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        if (n < 0) { status = 1; continue; }
        if (n >= (ssize_t)sizeof name) continue;  // the reader refuses such names before opening anything
        if (chdf5_is_hard_link(file, name) != 1) continue;  // nor does it follow links to other files
        hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
        if (ds < 0) continue;                     // a group or a broken link: the reader names it if it needs it
        hid_t type = H5Dget_type(ds);
        if (type >= 0) { (void)H5Tget_class(type); (void)H5Tget_size(type); (void)H5Tget_sign(type); H5Tclose(type); }
        hid_t space = H5Dget_space(ds);
        if (space >= 0) {
            hsize_t dims[32];
            int rank = H5Sget_simple_extent_ndims(space);
            if (rank > 0 && rank <= 32) (void)H5Sget_simple_extent_dims(space, dims, NULL);
            H5Sclose(space);
        }
        (void)H5Dget_storage_size(ds);
        H5Dclose(ds);
    }
    H5Fclose(file);
    return status;
}

int monopix_hdf5_probe(const char *path, int timeout_ms, int *detail) {
    *detail = 0;
    pid_t pid = fork();
    if (pid < 0) { *detail = errno; return MONOPIX_HDF5_PROBE_NO_FORK; }
    if (pid == 0) {
        // The default actions, so that a crash ends the child by its signal even where the caller installed
        // handlers (AddressSanitizer, libFuzzer, Swift's backtracer would report it as the caller's own crash).
        const int deadly[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGALRM};
        for (unsigned k = 0; k < sizeof deadly / sizeof deadly[0]; k++) signal(deadly[k], SIG_DFL);
        alarm((unsigned)(timeout_ms / 1000 + 2));  // a last resort should the parent be gone
        _exit(walk(path) == 0 ? 0 : 3);
    }
    struct timespec pause = {0, 2 * 1000 * 1000};
    for (int waited = 0;; waited += 2) {
        int wstatus = 0;
        pid_t r = waitpid(pid, &wstatus, WNOHANG);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { *detail = errno; return MONOPIX_HDF5_PROBE_NO_FORK; }
        if (r == pid) {
            if (WIFSIGNALED(wstatus)) { *detail = WTERMSIG(wstatus); return MONOPIX_HDF5_PROBE_CRASHED; }
            if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return MONOPIX_HDF5_PROBE_OK;
            if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 3) return MONOPIX_HDF5_PROBE_REFUSED;
            // Any other status: AddressSanitizer (1) and libFuzzer (77) report a crash by exiting.
            *detail = WIFEXITED(wstatus) ? -WEXITSTATUS(wstatus) : 0;
            return MONOPIX_HDF5_PROBE_CRASHED;
        }
        if (waited >= timeout_ms) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {}
            return MONOPIX_HDF5_PROBE_TIMEOUT;
        }
        nanosleep(&pause, NULL);
    }
}
