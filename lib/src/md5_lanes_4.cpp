// The MD5 lane kernel with 4 lanes, for any machine: SSE2 on x86-64, NEON on arm64 (md5_lanes_kernel.h).
#define KDS_MD5_LANES 4
#define KDS_MD5_KERNEL hash_lanes4
#include "md5_lanes_kernel.h"
