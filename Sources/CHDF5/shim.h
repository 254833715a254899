// Debian's serial HDF5 (libhdf5-dev; pkg-config hdf5-serial puts /usr/include/hdf5/serial on the include path).
// The property-list and type constants are macros over library globals (H5OPEN H5T_NATIVE_UCHAR_g), which Swift
// cannot import; these inline functions hand them over (each calls H5open first, as the macros do).
#include <hdf5.h>

static inline unsigned chdf5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline hid_t chdf5_native_uchar(void) { return H5T_NATIVE_UCHAR; }
static inline hid_t chdf5_fapl_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_s_all(void) { return H5S_ALL; }

/// 1 when `name` in `loc` is a hard link (an object stored in this file), 0 for soft, external or user-defined
/// links, -1 when HDF5 cannot tell. (H5Lget_info became H5Lget_info2 in 1.12.)
static inline int chdf5_is_hard_link(hid_t loc, const char *name) {
#if H5_VERSION_GE(1, 12, 0)
    H5L_info2_t info;
    if (H5Lget_info2(loc, name, &info, H5P_DEFAULT) < 0) return -1;
#else
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0) return -1;
#endif
    return info.type == H5L_TYPE_HARD;
}
