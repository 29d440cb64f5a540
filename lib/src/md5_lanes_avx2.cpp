// The MD5 lane kernel with 8 lanes, compiled with -mavx2 (md5_lanes_kernel.h).
#define KDS_MD5_LANES 8
#define KDS_MD5_KERNEL hash_avx2
#include "md5_lanes_kernel.h"
