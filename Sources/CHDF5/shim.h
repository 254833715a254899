// Debian's serial HDF5 (libhdf5-dev; pkg-config hdf5-serial puts /usr/include/hdf5/serial on the include path).
// The property-list and type constants are macros over library globals (H5OPEN H5T_NATIVE_UCHAR_g), which Swift
// cannot import; these inline functions hand them over (each calls H5open first, as the macros do).
#include <hdf5.h>

static inline unsigned chdf5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline hid_t chdf5_native_uchar(void) { return H5T_NATIVE_UCHAR; }
static inline hid_t chdf5_fapl_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_s_all(void) { return H5S_ALL; }
