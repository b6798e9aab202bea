/* storage.h - the storage axis of the generic kernels: the element type of
 * the activation tensors (x, y, dy, dx, residual) that a build of a generic
 * source reads and writes, and its loads and stores. The float math between
 * them is the same code in every build. Built with SIMDNORM_STORAGE_BF16 or
 * SIMDNORM_STORAGE_F16 (kernels/meson.build), a source defines the
 * bf16_<family> / f16_<family> kernels; without, the f32_<family> ones.
 * Include after the vector header and generic/lanes.h.
 *
 *   sx                   the element type (float, simdnorm_bf16, simdnorm_f16)
 *   SX_IS_F32            1 in the float32 build (the families that exist
 *                        only for float32 are compiled under it)
 *   SIMDNORM_SKERNEL(f)  the kernel name: simdnorm_<storage>_<f>_<isa>
 *   vx_loadu, vx_load_part          elements widened to a vf (vec_scalar.h)
 *   vx_storeu, vx_store_part, vx_stream  a vf narrowed and stored
 *   vx_storeu_c, vx_store_part_c, vx_stream_c   the same for a vf whose
 *                        NaNs are canonical (every kernel output: cheaper)
 *   vcx_load_widen, vcx_load_widen_part   VC_N elements widened to a vc
 *                        of doubles (the channel moments; vec_scalar.h)
 *   VX_STREAM_ALIGN      the alignment (bytes) vx_stream needs
 *   VX_HAS_PAIR, vx_load_pair, vx_store_pair_c, vx_stream_pair_c   the
 *                        header's optional pairs of this storage (bf16 on
 *                        AVX2 and AVX-512; vec_scalar.h, VBF16_HAS_PAIR), 0 / absent
 *   vx_load_npair, vf_load_npair_, vx_store_npair_c, vx_stream_npair_c   the
 *                        pairs of the elementwise loops (generic/normalize.h):
 *                        the header's VBF16_HAS_NPAIR ones, else the above
 *   JX, JY (row job), BDY, BX, BDX (backward job)   the job's pointers of
 *                        this storage */
#ifndef SIMDNORM_GENERIC_STORAGE_H
#define SIMDNORM_GENERIC_STORAGE_H

#if defined(SIMDNORM_STORAGE_BF16) || defined(SIMDNORM_STORAGE_F16)
#if defined(SIMDNORM_STORAGE_BF16)
#define SX_NAME bf16
#define SX_STORAGE 1
#define VX_(op) vbf16_##op
#else
#define SX_NAME f16
#define SX_STORAGE 2
#define VX_(op) vfp16_##op
#endif
typedef uint16_t sx;
#define SX_IS_F32 0
#define vx_loadu(p) VX_(loadu)(p)
#define vx_load_part(p, n) VX_(load_part)((p), (n))
#define vx_storeu(p, v) VX_(storeu)((p), (v))
#define vx_store_part(p, v, n) VX_(store_part)((p), (v), (n))
#define vx_stream(p, v) VX_(stream)((p), (v))
#define vx_storeu_c(p, v) VX_(storeu_c)((p), (v))
#define vx_store_part_c(p, v, n) VX_(store_part_c)((p), (v), (n))
#define vx_stream_c(p, v) VX_(stream_c)((p), (v))
#define vcx_load_widen(p) VX_(load_vc)(p)
#define vx_load_widen(p, out) vf_widen(VX_(loadu)(p), (out))
#define vcx_load_widen_part(p, n) VX_(load_vc_part)((p), (n))
#define VX_STREAM_ALIGN (VF_STREAM_ALIGN / 2)
#if defined(SIMDNORM_STORAGE_BF16) && defined(VBF16_HAS_PAIR)
#define VX_HAS_PAIR 1
#define vx_load_pair(p, a, b) vbf16_load_pair((p), (a), (b))
#define vx_store_pair_c(p, a, b) vbf16_store_pair_c((p), (a), (b))
#define vx_stream_pair_c(p, a, b) vbf16_stream_pair_c((p), (a), (b))
#if defined(VBF16_HAS_NPAIR)
#define vx_load_npair(p, a, b) vbf16_load_npair((p), (a), (b))
#define vf_load_npair_(p, a, b) vf_load_npair((p), (a), (b))
#define vx_store_npair_c(p, a, b) vbf16_store_npair_c((p), (a), (b))
#define vx_stream_npair_c(p, a, b) vbf16_stream_npair_c((p), (a), (b))
#else
#define vx_load_npair(p, a, b) vbf16_load_pair((p), (a), (b))
#define vf_load_npair_(p, a, b) vf_load_pair((p), (a), (b))
#define vx_store_npair_c(p, a, b) vbf16_store_pair_c((p), (a), (b))
#define vx_stream_npair_c(p, a, b) vbf16_stream_pair_c((p), (a), (b))
#endif
#else
#define VX_HAS_PAIR 0
#endif
#define JX(j) ((j)->xh)
#define JY(j) ((j)->yh)
#define BDY(j) ((j)->dyh)
#define BX(j) ((j)->xh)
#define BDX(j) ((j)->dxh)
#else
#define SX_NAME f32
#define SX_STORAGE 0
typedef float sx;
#define SX_IS_F32 1
#define vx_loadu(p) vf_loadu(p)
#define vx_load_part(p, n) vf_load_part((p), (n))
#define vx_storeu(p, v) vf_storeu((p), (v))
#define vx_store_part(p, v, n) vf_store_part((p), (v), (n))
#define vx_stream(p, v) vf_stream((p), (v))
#define vx_storeu_c(p, v) vf_storeu((p), (v))
#define vx_store_part_c(p, v, n) vf_store_part((p), (v), (n))
#define vx_stream_c(p, v) vf_stream((p), (v))
#define vcx_load_widen(p) vc_load_widen(p)
#define vx_load_widen(p, out) vf_load_widen((p), (out))
#define vcx_load_widen_part(p, n) vc_load_widen_part((p), (n))
#define VX_STREAM_ALIGN VF_STREAM_ALIGN
#define VX_HAS_PAIR 0
#define JX(j) ((j)->x)
#define JY(j) ((j)->y)
#define BDY(j) ((j)->dy)
#define BX(j) ((j)->x)
#define BDX(j) ((j)->dx)
#endif

#define SIMDNORM_SKERNEL(f)                                                   \
    SIMDNORM_CAT_(SIMDNORM_CAT_(SIMDNORM_CAT_(simdnorm, SX_NAME), f), SIMDNORM_VEC_ISA)

#endif
