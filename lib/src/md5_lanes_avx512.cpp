// The MD5 lane kernel with 16 lanes, compiled with -mavx512f (md5_lanes_kernel.h).
#define KDS_MD5_LANES 16
#define KDS_MD5_KERNEL hash_avx512
#include "md5_lanes_kernel.h"
