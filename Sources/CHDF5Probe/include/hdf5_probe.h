#ifndef MONOPIX_HDF5_PROBE_H
#define MONOPIX_HDF5_PROBE_H

/// Outcomes of `monopix_hdf5_probe`.
enum {
    MONOPIX_HDF5_PROBE_OK = 0,        // the child walked the file's metadata and exited cleanly
    MONOPIX_HDF5_PROBE_REFUSED = 1,   // libhdf5 returned an error somewhere (the reader will name it)
    MONOPIX_HDF5_PROBE_CRASHED = 2,   // the child died of a signal (`*detail` is the signal number)
    MONOPIX_HDF5_PROBE_TIMEOUT = 3,   // the child did not finish within the time given (it was killed)
    MONOPIX_HDF5_PROBE_NO_FORK = 4,   // fork or waitpid failed (`*detail` is errno)
};

/// Walks an HDF5 file's metadata in a child process: opens it read-only, lists the root group, and opens every
/// entry as a dataset, reading its datatype, dataspace and storage size (which walks a chunked dataset's index),
/// so that a crash or a hang inside libhdf5 on a damaged or hostile file kills the child, not the caller. Only C
/// and libhdf5 run in the child (no Swift, no locks of the caller's), and it leaves with _exit. The caller must
/// make no other libhdf5 call meanwhile.
int monopix_hdf5_probe(const char *path, int timeout_ms, int *detail);

#endif
