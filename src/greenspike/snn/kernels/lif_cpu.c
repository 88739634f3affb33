/* Fused multi-step LIF for the CPU: one pass over time per block of neurons, OpenMP across
 * blocks. The recurrence and its hand-written backward are documented in kernels/cpu.py; the
 * body is in lif_cpu_body.h, instantiated here for float and double. Built with
 * -ffp-contract=off so that `beta * v + x` rounds twice, exactly as the PyTorch reference. */
#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdint.h>

enum reset_mode { RESET_SUBTRACT = 0, RESET_ZERO = 1, RESET_NONE = 2 };
enum surrogate_kind { ATAN = 0, FAST_SIGMOID = 1, SIGMOID = 2, TRIANGLE = 3, STRAIGHT = 4 };

/* Neurons per block: a block's membranes stay in L1 while the block walks through time. */
#define BLOCK 512

#define REAL float
#define NAME(f) f##_f32
#include "lif_cpu_body.h"
#undef REAL
#undef NAME

#define REAL double
#define NAME(f) f##_f64
#include "lif_cpu_body.h"
#undef REAL
#undef NAME

/* The neurons per block, for callers that size the scratch buffer of lif_backward_*. */
int lif_block(void) { return BLOCK; }
