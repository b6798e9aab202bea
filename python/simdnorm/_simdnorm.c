/* _simdnorm.c - the extension module simdnorm._simdnorm: simdnorm's C API
 * for NumPy arrays, written with the CPython C API and the NumPy C API.
 *
 * Every function checks its arrays before anything is written: a wrong
 * type or dtype is TypeError, a wrong shape, a read-only or badly laid out
 * output, or any status the library returns is ValueError (MemoryError for
 * SIMDNORM_ERR_NOMEM) with simdnorm_status_str's text. Inputs whose layout
 * the library cannot take (a non-contiguous last axis, leading axes that do
 * not collapse into one row stride, misaligned or byte-swapped data) are
 * copied; outputs (out=, h=, running statistics) are never copied: they must
 * already have a layout the library can write. The GIL is released around
 * every library call.
 *
 * Dtypes: one row of `dtype_table` per storage type. A row is a set of
 * wrappers with void-pointer tensors generated from the library's functions
 * of that suffix: SN_ROW_OPS (LayerNorm, RMSNorm, their backward, activate)
 * and SN_CHANNEL_OPS (BatchNorm, GroupNorm), for every storage type.
 * float16 is NumPy's own type; bfloat16 has no NumPy
 * type number of its own: ml_dtypes' bfloat16 gets one at run time, looked
 * up when the module is imported (without ml_dtypes the row matches
 * nothing and simdnorm.dtypes does not list it). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <string.h>

#include "simdnorm.h"

PyMODINIT_FUNC PyInit__simdnorm(void);

/* ---- the dtype table ------------------------------------------------------ */

/* The fused options with untyped tensors (residual and h have the storage type). */
typedef struct sn_opts {
    const void *residual;
    size_t residual_stride;
    const float *bias;
    simdnorm_activation activation;
    void *h;
    size_t h_stride;
} sn_opts;

typedef struct dtype_ops {
    const char *name;
    int type_num;
    simdnorm_status (*layer_norm)(size_t rows, size_t cols, const void *x, size_t xs,
                                  const float *g, const float *b, float eps, void *y,
                                  size_t ys, float *mean, float *rstd, const sn_opts *o);
    simdnorm_status (*rms_norm)(size_t rows, size_t cols, const void *x, size_t xs,
                                const float *g, float eps, void *y, size_t ys,
                                float *rstd, const sn_opts *o);
    simdnorm_status (*bn_train)(simdnorm_layout l, size_t n, size_t c, size_t sp,
                                const void *x, const float *g, const float *b, float eps,
                                float momentum, float *rmean, float *rvar, void *y,
                                float *smean, float *srstd, simdnorm_activation act);
    simdnorm_status (*bn_infer)(simdnorm_layout l, size_t n, size_t c, size_t sp,
                                const void *x, const float *g, const float *b,
                                const float *mean, const float *var, float eps, void *y,
                                simdnorm_activation act);
    simdnorm_status (*ln_bwd)(size_t rows, size_t cols, const void *dy, size_t dys,
                              const void *x, size_t xs, const float *g, const float *mean,
                              const float *rstd, void *dx, size_t dxs, float *dg, float *db);
    simdnorm_status (*rms_bwd)(size_t rows, size_t cols, const void *dy, size_t dys,
                               const void *x, size_t xs, const float *g, const float *rstd,
                               void *dx, size_t dxs, float *dg);
    simdnorm_status (*bn_bwd)(simdnorm_layout l, size_t n, size_t c, size_t sp,
                              const void *dy, const void *x, const float *g,
                              const float *mean, const float *rstd, int training, void *dx,
                              float *dg, float *db);
    simdnorm_status (*gn)(simdnorm_layout l, size_t n, size_t c, size_t sp, size_t groups,
                          const void *x, const float *g, const float *b, float eps, void *y,
                          float *mean, float *rstd);
    simdnorm_status (*gn_bwd)(simdnorm_layout l, size_t n, size_t c, size_t sp, size_t groups,
                              const void *dy, const void *x, const float *g,
                              const float *mean, const float *rstd, void *dx, float *dg,
                              float *db);
    simdnorm_status (*activate)(size_t n, const void *x, simdnorm_activation a, void *y);
} dtype_ops;

/* The row-norm wrappers of one storage type T, function suffix S, options type OPT. */
#define SN_ROW_OPS(S, T, OPT)                                                        \
    static void opts_##S(OPT *opt, const sn_opts *o)                                   \
    {                                                                                  \
        memset(opt, 0, sizeof *opt);                                                   \
        if (!o) return;                                                                \
        opt->residual = (const T *)o->residual;                                        \
        opt->residual_stride = o->residual_stride;                                     \
        opt->bias = o->bias;                                                           \
        opt->activation = o->activation;                                               \
        opt->h = (T *)o->h;                                                            \
        opt->h_stride = o->h_stride;                                                   \
    }                                                                                  \
    static simdnorm_status ln_##S(size_t rows, size_t cols, const void *x, size_t xs,  \
                                  const float *g, const float *b, float eps, void *y,  \
                                  size_t ys, float *mean, float *rstd,                 \
                                  const sn_opts *o)                                    \
    {                                                                                  \
        OPT opt;                                                                       \
        opts_##S(&opt, o);                                                             \
        return simdnorm_layer_norm_ex_##S(rows, cols, (const T *)x, xs, g, b, eps,     \
                                          (T *)y, ys, mean, rstd, &opt);               \
    }                                                                                  \
    static simdnorm_status rms_##S(size_t rows, size_t cols, const void *x, size_t xs, \
                                   const float *g, float eps, void *y, size_t ys,      \
                                   float *rstd, const sn_opts *o)                      \
    {                                                                                  \
        OPT opt;                                                                       \
        opts_##S(&opt, o);                                                             \
        return simdnorm_rms_norm_ex_##S(rows, cols, (const T *)x, xs, g, eps, (T *)y,  \
                                        ys, rstd, &opt);                               \
    }                                                                                  \
    static simdnorm_status lnb_##S(size_t rows, size_t cols, const void *dy,           \
                                   size_t dys, const void *x, size_t xs,               \
                                   const float *g, const float *mean,                  \
                                   const float *rstd, void *dx, size_t dxs, float *dg, \
                                   float *db)                                          \
    {                                                                                  \
        return simdnorm_layer_norm_bwd_##S(rows, cols, (const T *)dy, dys,             \
                                           (const T *)x, xs, g, mean, rstd, (T *)dx,   \
                                           dxs, dg, db);                               \
    }                                                                                  \
    static simdnorm_status rmsb_##S(size_t rows, size_t cols, const void *dy,          \
                                    size_t dys, const void *x, size_t xs,              \
                                    const float *g, const float *rstd, void *dx,       \
                                    size_t dxs, float *dg)                             \
    {                                                                                  \
        return simdnorm_rms_norm_bwd_##S(rows, cols, (const T *)dy, dys, (const T *)x, \
                                         xs, g, rstd, (T *)dx, dxs, dg);               \
    }                                                                                  \
    static simdnorm_status act_##S(size_t n, const void *x, simdnorm_activation a,     \
                                   void *y)                                            \
    {                                                                                  \
        return simdnorm_activate_##S(n, (const T *)x, a, (T *)y);                      \
    }

/* The BatchNorm and GroupNorm wrappers. */
#define SN_CHANNEL_OPS(S, T, OPT)                                                      \
    static simdnorm_status bnt_##S(simdnorm_layout l, size_t n, size_t c, size_t sp,   \
                                   const void *x, const float *g, const float *b,      \
                                   float eps, float mom, float *rm, float *rv,         \
                                   void *y, float *sm, float *sr,                      \
                                   simdnorm_activation act)                            \
    {                                                                                  \
        OPT opt;                                                                       \
        opts_##S(&opt, NULL);                                                          \
        opt.activation = act;                                                          \
        return simdnorm_batch_norm_train_ex_##S(l, n, c, sp, (const T *)x, g, b, eps,  \
                                                mom, rm, rv, (T *)y, sm, sr, &opt);    \
    }                                                                                  \
    static simdnorm_status bni_##S(simdnorm_layout l, size_t n, size_t c, size_t sp,   \
                                   const void *x, const float *g, const float *b,      \
                                   const float *mean, const float *var, float eps,     \
                                   void *y, simdnorm_activation act)                   \
    {                                                                                  \
        OPT opt;                                                                       \
        opts_##S(&opt, NULL);                                                          \
        opt.activation = act;                                                          \
        return simdnorm_batch_norm_infer_ex_##S(l, n, c, sp, (const T *)x, g, b, mean, \
                                                var, eps, (T *)y, &opt);               \
    }                                                                                  \
    static simdnorm_status bnb_##S(simdnorm_layout l, size_t n, size_t c, size_t sp,   \
                                   const void *dy, const void *x, const float *g,      \
                                   const float *mean, const float *rstd, int training, \
                                   void *dx, float *dg, float *db)                     \
    {                                                                                  \
        return simdnorm_batch_norm_bwd_##S(l, n, c, sp, (const T *)dy, (const T *)x,   \
                                           g, mean, rstd, training, (T *)dx, dg, db);  \
    }                                                                                  \
    static simdnorm_status gn_##S(simdnorm_layout l, size_t n, size_t c, size_t sp,    \
                                  size_t groups, const void *x, const float *g,        \
                                  const float *b, float eps, void *y, float *mean,     \
                                  float *rstd)                                         \
    {                                                                                  \
        return simdnorm_group_norm_##S(l, n, c, sp, groups, (const T *)x, g, b, eps,   \
                                       (T *)y, mean, rstd);                            \
    }                                                                                  \
    static simdnorm_status gnb_##S(simdnorm_layout l, size_t n, size_t c, size_t sp,   \
                                   size_t groups, const void *dy, const void *x,       \
                                   const float *g, const float *mean,                  \
                                   const float *rstd, void *dx, float *dg, float *db)  \
    {                                                                                  \
        return simdnorm_group_norm_bwd_##S(l, n, c, sp, groups, (const T *)dy,         \
                                           (const T *)x, g, mean, rstd, (T *)dx, dg,   \
                                           db);                                        \
    }

#define SN_DTYPE_ROW(S, NAME, TYPENUM)                                                 \
    { NAME, TYPENUM, ln_##S, rms_##S, bnt_##S, bni_##S, lnb_##S, rmsb_##S, bnb_##S,    \
      gn_##S, gnb_##S, act_##S }

SN_ROW_OPS(f32, float, simdnorm_norm_options)
SN_CHANNEL_OPS(f32, float, simdnorm_norm_options)
SN_ROW_OPS(f16, simdnorm_f16, simdnorm_norm_options_f16)
SN_CHANNEL_OPS(f16, simdnorm_f16, simdnorm_norm_options_f16)
SN_ROW_OPS(bf16, simdnorm_bf16, simdnorm_norm_options_bf16)
SN_CHANNEL_OPS(bf16, simdnorm_bf16, simdnorm_norm_options_bf16)

/* Not const: bfloat16's type number is set at import (-1 matches no array). */
static dtype_ops dtype_table[] = {
    SN_DTYPE_ROW(f32, "float32", NPY_FLOAT32),
    SN_DTYPE_ROW(f16, "float16", NPY_FLOAT16),
    SN_DTYPE_ROW(bf16, "bfloat16", -1),
};
#define BF16_ROW 2
#define N_DTYPES (sizeof dtype_table / sizeof dtype_table[0])

/* ---- errors and small parsers -------------------------------------------- */

static PyObject *raise_status(const char *fn, simdnorm_status s)
{
    PyErr_Format(s == SIMDNORM_ERR_NOMEM ? PyExc_MemoryError : PyExc_ValueError,
                 "%s: %s", fn, simdnorm_status_str(s));
    return NULL;
}

static int parse_activation(PyObject *o, simdnorm_activation *act)
{
    static const struct { const char *name; simdnorm_activation act; } names[] = {
        {"none", SIMDNORM_ACT_NONE},          {"relu", SIMDNORM_ACT_RELU},
        {"gelu", SIMDNORM_ACT_GELU_ERF},      {"gelu_erf", SIMDNORM_ACT_GELU_ERF},
        {"gelu_tanh", SIMDNORM_ACT_GELU_TANH}, {"silu", SIMDNORM_ACT_SILU},
    };
    const char *s;
    size_t i;
    *act = SIMDNORM_ACT_NONE;
    if (o == NULL || o == Py_None) return 0;
    if (!PyUnicode_Check(o)) {
        PyErr_SetString(PyExc_TypeError,
                        "activation must be None or one of 'relu', 'gelu', 'gelu_tanh', 'silu'");
        return -1;
    }
    if (!(s = PyUnicode_AsUTF8(o))) return -1;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) { *act = names[i].act; return 0; }
    PyErr_Format(PyExc_ValueError,
                 "unknown activation '%s' (None, 'relu', 'gelu', 'gelu_tanh', 'silu')", s);
    return -1;
}

static int parse_layout(PyObject *o, simdnorm_layout *l)
{
    const char *s;
    *l = SIMDNORM_NCHW;
    if (o == NULL || o == Py_None) return 0;
    if (!PyUnicode_Check(o)) {
        PyErr_SetString(PyExc_TypeError, "layout must be 'NCHW' or 'NHWC'");
        return -1;
    }
    if (!(s = PyUnicode_AsUTF8(o))) return -1;
    if (PyOS_stricmp(s, "NCHW") == 0) { *l = SIMDNORM_NCHW; return 0; }
    if (PyOS_stricmp(s, "NHWC") == 0) { *l = SIMDNORM_NHWC; return 0; }
    PyErr_Format(PyExc_ValueError, "unknown layout '%s' ('NCHW' or 'NHWC')", s);
    return -1;
}

/* The table row of x's dtype; TypeError when x is not an ndarray of one. */
static const dtype_ops *ops_of(PyObject *o, const char *what)
{
    size_t i;
    if (!PyArray_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a numpy.ndarray, not %.100s", what,
                     Py_TYPE(o)->tp_name);
        return NULL;
    }
    for (i = 0; i < N_DTYPES; i++)
        if (PyArray_TYPE((PyArrayObject *)o) == dtype_table[i].type_num) return &dtype_table[i];
    PyErr_Format(PyExc_TypeError, "%s: unsupported dtype %R (simdnorm.dtypes lists the supported ones)",
                 what, (PyObject *)PyArray_DESCR((PyArrayObject *)o));
    return NULL;
}

/* o must be an ndarray of exactly x's dtype. */
static int check_same_dtype(PyObject *o, const char *what, const dtype_ops *ops)
{
    if (!PyArray_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a numpy.ndarray, not %.100s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    if (PyArray_TYPE((PyArrayObject *)o) != ops->type_num) {
        PyErr_Format(PyExc_TypeError, "%s has dtype %R, expected %s (the dtype of x)", what,
                     (PyObject *)PyArray_DESCR((PyArrayObject *)o), ops->name);
        return -1;
    }
    return 0;
}

static int same_shape(PyArrayObject *a, PyArrayObject *b)
{
    return PyArray_NDIM(a) == PyArray_NDIM(b) &&
           PyArray_CompareLists(PyArray_DIMS(a), PyArray_DIMS(b), PyArray_NDIM(a));
}

static int check_shape_as(PyObject *o, const char *what, PyArrayObject *x)
{
    if (!same_shape((PyArrayObject *)o, x)) {
        PyObject *a = PyObject_GetAttrString(o, "shape");
        PyObject *b = PyObject_GetAttrString((PyObject *)x, "shape");
        if (a && b)
            PyErr_Format(PyExc_ValueError, "%s: shape %R differs from x's shape %R", what, a, b);
        Py_XDECREF(a);
        Py_XDECREF(b);
        return -1;
    }
    return 0;
}

/* ---- row matrices (LayerNorm, RMSNorm: the last axis is a row) ------------ */

typedef struct rowmat {
    PyArrayObject *arr; /* a new reference */
    size_t rows, cols, stride; /* stride in elements */
} rowmat;

/* 1 when a's rows can be handed to the library as they are: aligned, native
 * byte order, last axis contiguous, leading axes one uniform row stride. */
static int row_layout(PyArrayObject *a, rowmat *m)
{
    int nd = PyArray_NDIM(a), i, have = 0;
    npy_intp *sh = PyArray_DIMS(a), *st = PyArray_STRIDES(a);
    npy_intp isz = PyArray_ITEMSIZE(a), rs = 0, block = 0;
    size_t rows = 1;
    for (i = 0; i < nd - 1; i++) rows *= (size_t)sh[i];
    m->rows = rows;
    m->cols = (size_t)sh[nd - 1];
    m->stride = m->cols;
    if (!PyArray_ISALIGNED(a) || !PyArray_ISNOTSWAPPED(a)) return 0;
    if (rows == 0 || m->cols == 0) return 1;
    if (m->cols > 1 && st[nd - 1] != isz) return 0;
    for (i = nd - 2; i >= 0; i--) {
        if (sh[i] == 1) continue;
        if (!have) {
            rs = st[i];
            if (rs <= 0 || rs % isz != 0) return 0;
            block = rs * sh[i];
            have = 1;
        } else {
            if (st[i] != block) return 0;
            block *= sh[i];
        }
    }
    if (have) {
        if ((size_t)(rs / isz) < m->cols) return 0;
        m->stride = (size_t)(rs / isz);
    }
    return 1;
}

/* An input matrix: a (a view or, where the layout needs it, a C-contiguous copy). */
static int rows_in(PyObject *o, const char *what, const dtype_ops *ops, rowmat *m)
{
    PyArrayObject *a = (PyArrayObject *)o;
    if (PyArray_NDIM(a) < 1) {
        PyErr_Format(PyExc_ValueError, "%s must have at least one axis", what);
        return -1;
    }
    if (row_layout(a, m)) {
        Py_INCREF(o);
        m->arr = a;
        return 0;
    }
    m->arr = (PyArrayObject *)PyArray_FromArray(a, PyArray_DescrFromType(ops->type_num),
                                               NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED |
                                                   NPY_ARRAY_ENSURECOPY);
    if (!m->arr) return -1;
    if (!row_layout(m->arr, m)) { /* cannot happen for a fresh C-contiguous array */
        Py_CLEAR(m->arr);
        PyErr_Format(PyExc_ValueError, "%s: cannot lay out the rows", what);
        return -1;
    }
    return 0;
}

/* An output matrix given by the caller (same shape as x): written in place, never copied. */
static int rows_out(PyObject *o, const char *what, const dtype_ops *ops, PyArrayObject *x,
                    rowmat *m)
{
    PyArrayObject *a;
    if (check_same_dtype(o, what, ops) < 0 || check_shape_as(o, what, x) < 0) return -1;
    a = (PyArrayObject *)o;
    if (!PyArray_ISWRITEABLE(a)) {
        PyErr_Format(PyExc_ValueError, "%s is read-only", what);
        return -1;
    }
    if (!row_layout(a, m)) {
        PyErr_Format(PyExc_ValueError,
                     "%s must be aligned, in native byte order, with a contiguous last axis "
                     "and leading axes of one row stride (outputs are never copied)", what);
        return -1;
    }
    Py_INCREF(o);
    m->arr = a;
    return 0;
}

/* A fresh C-contiguous array of x's shape and dtype. */
static PyArrayObject *new_like(PyArrayObject *x, const dtype_ops *ops)
{
    return (PyArrayObject *)PyArray_SimpleNew(PyArray_NDIM(x), PyArray_DIMS(x), ops->type_num);
}

static int rows_new(PyArrayObject *x, const dtype_ops *ops, rowmat *m)
{
    if (!(m->arr = new_like(x, ops))) return -1;
    row_layout(m->arr, m);
    return 0;
}

/* ---- float32 vectors (gamma, beta, bias, statistics) ---------------------- */

/* Optional float32 input of n elements (any shape): NULL for None; a
 * contiguous aligned native view or copy otherwise. */
static int vec_in(PyObject *o, const char *what, size_t n, PyArrayObject **out)
{
    PyArrayObject *a;
    *out = NULL;
    if (o == NULL || o == Py_None) return 0;
    if (!PyArray_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a numpy.ndarray or None, not %.100s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    a = (PyArrayObject *)o;
    if (PyArray_TYPE(a) != NPY_FLOAT32) {
        PyErr_Format(PyExc_TypeError, "%s has dtype %R, expected float32", what,
                     (PyObject *)PyArray_DESCR(a));
        return -1;
    }
    if ((size_t)PyArray_SIZE(a) != n) {
        PyErr_Format(PyExc_ValueError, "%s has %zd elements, expected %zu", what,
                     (Py_ssize_t)PyArray_SIZE(a), n);
        return -1;
    }
    *out = (PyArrayObject *)PyArray_FromArray(a, PyArray_DescrFromType(NPY_FLOAT32),
                                              NPY_ARRAY_IN_ARRAY);
    return *out ? 0 : -1;
}

static int vec_required(PyObject *o, const char *what, size_t n, PyArrayObject **out)
{
    if (o == NULL || o == Py_None) {
        PyErr_Format(PyExc_TypeError, "%s is required", what);
        return -1;
    }
    return vec_in(o, what, n, out);
}

/* Optional float32 vector the library updates in place (running statistics). */
static int vec_inout(PyObject *o, const char *what, size_t n, PyArrayObject **out)
{
    PyArrayObject *a;
    *out = NULL;
    if (o == NULL || o == Py_None) return 0;
    if (!PyArray_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a numpy.ndarray or None, not %.100s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    a = (PyArrayObject *)o;
    if (PyArray_TYPE(a) != NPY_FLOAT32) {
        PyErr_Format(PyExc_TypeError, "%s has dtype %R, expected float32", what,
                     (PyObject *)PyArray_DESCR(a));
        return -1;
    }
    if ((size_t)PyArray_SIZE(a) != n) {
        PyErr_Format(PyExc_ValueError, "%s has %zd elements, expected %zu", what,
                     (Py_ssize_t)PyArray_SIZE(a), n);
        return -1;
    }
    if (!PyArray_ISWRITEABLE(a)) {
        PyErr_Format(PyExc_ValueError, "%s is read-only", what);
        return -1;
    }
    if (!PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISALIGNED(a) || !PyArray_ISNOTSWAPPED(a)) {
        PyErr_Format(PyExc_ValueError,
                     "%s must be C-contiguous, aligned and in native byte order "
                     "(it is updated in place)", what);
        return -1;
    }
    Py_INCREF(o);
    *out = a;
    return 0;
}

static PyArrayObject *new_f32(int nd, npy_intp *dims)
{
    return (PyArrayObject *)PyArray_SimpleNew(nd, dims, NPY_FLOAT32);
}

#define F32(a) ((a) ? (float *)PyArray_DATA(a) : NULL)
#define DATA(a) ((a) ? PyArray_DATA(a) : NULL)

/* ---- dense tensors (BatchNorm, GroupNorm, activate) ----------------------- */

static int dense_in(PyObject *o, const char *what, const dtype_ops *ops, PyArrayObject **out)
{
    (void)what;
    *out = (PyArrayObject *)PyArray_FromArray((PyArrayObject *)o,
                                              PyArray_DescrFromType(ops->type_num),
                                              NPY_ARRAY_IN_ARRAY);
    return *out ? 0 : -1;
}

static int dense_out(PyObject *o, const char *what, const dtype_ops *ops, PyArrayObject *x,
                     PyArrayObject **out)
{
    PyArrayObject *a;
    *out = NULL;
    if (o == NULL || o == Py_None) {
        *out = new_like(x, ops);
        return *out ? 0 : -1;
    }
    if (check_same_dtype(o, what, ops) < 0 || check_shape_as(o, what, x) < 0) return -1;
    a = (PyArrayObject *)o;
    if (!PyArray_ISWRITEABLE(a)) {
        PyErr_Format(PyExc_ValueError, "%s is read-only", what);
        return -1;
    }
    if (!PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISALIGNED(a) || !PyArray_ISNOTSWAPPED(a)) {
        PyErr_Format(PyExc_ValueError,
                     "%s must be C-contiguous, aligned and in native byte order "
                     "(outputs are never copied)", what);
        return -1;
    }
    Py_INCREF(o);
    *out = a;
    return 0;
}

/* n, c, spatial of an [N, C, *] (NCHW) or [N, *, C] (NHWC) tensor. */
static int nc_dims(PyArrayObject *x, simdnorm_layout l, size_t *n, size_t *c, size_t *sp)
{
    int nd = PyArray_NDIM(x), i;
    npy_intp *sh = PyArray_DIMS(x);
    if (nd < 2) {
        PyErr_SetString(PyExc_ValueError,
                        "x must have at least two axes: [N, C, *] (NCHW) or [N, *, C] (NHWC)");
        return -1;
    }
    *n = (size_t)sh[0];
    *sp = 1;
    if (l == SIMDNORM_NCHW) {
        *c = (size_t)sh[1];
        for (i = 2; i < nd; i++) *sp *= (size_t)sh[i];
    } else {
        *c = (size_t)sh[nd - 1];
        for (i = 1; i < nd - 1; i++) *sp *= (size_t)sh[i];
    }
    return 0;
}

/* Result: the items (new references, stolen; None for absent outputs) as a
 * tuple, or the only one. */
static PyObject *pack(PyObject **items, int n_items)
{
    PyObject *t;
    int i;
    if (n_items == 1) return items[0];
    if (!(t = PyTuple_New(n_items))) {
        for (i = 0; i < n_items; i++) Py_XDECREF(items[i]);
        return NULL;
    }
    for (i = 0; i < n_items; i++) PyTuple_SET_ITEM(t, i, items[i]);
    return t;
}

static PyObject *ret_or_none(PyArrayObject *a)
{
    if (a) {
        Py_INCREF(a);
        return (PyObject *)a;
    }
    Py_RETURN_NONE;
}

/* ---- LayerNorm and RMSNorm ------------------------------------------------ */

static PyObject *row_norm(int rms, PyObject *args, PyObject *kw)
{
    static char *ln_kw[] = {"x", "gamma", "beta", "eps", "residual", "bias", "activation",
                            "h", "out", "return_stats", NULL};
    static char *rms_kw[] = {"x", "gamma", "eps", "residual", "bias", "activation",
                             "h", "out", "return_stats", NULL};
    const char *fn = rms ? "rms_norm" : "layer_norm";
    PyObject *xo, *go = Py_None, *bo = Py_None, *ro = Py_None, *biaso = Py_None,
                  *acto = Py_None, *ho = Py_None, *outo = Py_None, *result = NULL;
    double eps = 1e-5;
    int want_stats = 0, ok;
    const dtype_ops *ops;
    rowmat X = {0}, R = {0}, Y = {0}, H = {0};
    PyArrayObject *g = NULL, *b = NULL, *bias = NULL, *mean = NULL, *rstd = NULL;
    sn_opts o;
    simdnorm_status s;

    if (rms)
        ok = PyArg_ParseTupleAndKeywords(args, kw, "O|Od$OOOOOp:rms_norm", rms_kw, &xo, &go,
                                         &eps, &ro, &biaso, &acto, &ho, &outo, &want_stats);
    else
        ok = PyArg_ParseTupleAndKeywords(args, kw, "O|OOd$OOOOOp:layer_norm", ln_kw, &xo, &go,
                                         &bo, &eps, &ro, &biaso, &acto, &ho, &outo,
                                         &want_stats);
    if (!ok) return NULL;
    memset(&o, 0, sizeof o);
    if (parse_activation(acto, &o.activation) < 0) return NULL;
    if (!(ops = ops_of(xo, "x"))) return NULL;
    if (rows_in(xo, "x", ops, &X) < 0) goto done;
    if (vec_in(go, "gamma", X.cols, &g) < 0 || vec_in(bo, "beta", X.cols, &b) < 0 ||
        vec_in(biaso, "bias", X.cols, &bias) < 0)
        goto done;
    if (ro != Py_None) {
        if (check_same_dtype(ro, "residual", ops) < 0 ||
            check_shape_as(ro, "residual", (PyArrayObject *)xo) < 0 ||
            rows_in(ro, "residual", ops, &R) < 0)
            goto done;
        o.residual = PyArray_DATA(R.arr);
        o.residual_stride = R.stride;
    }
    if (outo != Py_None) {
        if (rows_out(outo, "out", ops, (PyArrayObject *)xo, &Y) < 0) goto done;
    } else if (rows_new((PyArrayObject *)xo, ops, &Y) < 0)
        goto done;
    if (ho == Py_True) {
        if (rows_new((PyArrayObject *)xo, ops, &H) < 0) goto done;
    } else if (ho != Py_None && ho != Py_False) {
        if (rows_out(ho, "h", ops, (PyArrayObject *)xo, &H) < 0) goto done;
    }
    if (H.arr) {
        o.h = PyArray_DATA(H.arr);
        o.h_stride = H.stride;
    }
    o.bias = F32(bias);
    if (want_stats) {
        int nd = PyArray_NDIM((PyArrayObject *)xo) - 1;
        if (!(rstd = new_f32(nd, PyArray_DIMS((PyArrayObject *)xo)))) goto done;
        if (!rms && !(mean = new_f32(nd, PyArray_DIMS((PyArrayObject *)xo)))) goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    if (rms)
        s = ops->rms_norm(X.rows, X.cols, PyArray_DATA(X.arr), X.stride, F32(g), (float)eps,
                          PyArray_DATA(Y.arr), Y.stride, F32(rstd), &o);
    else
        s = ops->layer_norm(X.rows, X.cols, PyArray_DATA(X.arr), X.stride, F32(g), F32(b),
                            (float)eps, PyArray_DATA(Y.arr), Y.stride, F32(mean), F32(rstd),
                            &o);
    Py_END_ALLOW_THREADS
    if (s != SIMDNORM_OK) {
        raise_status(fn, s);
        goto done;
    }
    {
        PyObject *items[4];
        int k = 0;
        items[k++] = ret_or_none(Y.arr);
        if (want_stats) {
            if (!rms) items[k++] = ret_or_none(mean);
            items[k++] = ret_or_none(rstd);
        }
        if (H.arr) items[k++] = ret_or_none(H.arr);
        result = pack(items, k);
    }
done:
    Py_XDECREF(X.arr);
    Py_XDECREF(R.arr);
    Py_XDECREF(Y.arr);
    Py_XDECREF(H.arr);
    Py_XDECREF(g);
    Py_XDECREF(b);
    Py_XDECREF(bias);
    Py_XDECREF(mean);
    Py_XDECREF(rstd);
    return result;
}

static PyObject *py_layer_norm(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    return row_norm(0, args, kw);
}

static PyObject *py_rms_norm(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    return row_norm(1, args, kw);
}

static PyObject *row_norm_bwd(int rms, PyObject *args, PyObject *kw)
{
    static char *ln_kw[] = {"dy", "x", "mean", "rstd", "gamma", "out", "compute_dx",
                            "compute_dgamma", "compute_dbeta", NULL};
    static char *rms_kw[] = {"dy", "x", "rstd", "gamma", "out", "compute_dx",
                             "compute_dgamma", NULL};
    const char *fn = rms ? "rms_norm_bwd" : "layer_norm_bwd";
    PyObject *dyo, *xo, *mo = Py_None, *ro, *go = Py_None, *outo = Py_None, *result = NULL;
    int want_dx = 1, want_dg = 1, want_db = 1, ok;
    const dtype_ops *ops;
    rowmat DY = {0}, X = {0}, DX = {0};
    PyArrayObject *g = NULL, *mean = NULL, *rstd = NULL, *dg = NULL, *db = NULL;
    simdnorm_status s;
    npy_intp cdim;

    if (rms)
        ok = PyArg_ParseTupleAndKeywords(args, kw, "OOO|O$Opp:rms_norm_bwd", rms_kw, &dyo, &xo,
                                         &ro, &go, &outo, &want_dx, &want_dg);
    else
        ok = PyArg_ParseTupleAndKeywords(args, kw, "OOOO|O$Oppp:layer_norm_bwd", ln_kw, &dyo,
                                         &xo, &mo, &ro, &go, &outo, &want_dx, &want_dg,
                                         &want_db);
    if (!ok) return NULL;
    if (rms) want_db = 0;
    if (!(ops = ops_of(xo, "x"))) return NULL;
    if (check_same_dtype(dyo, "dy", ops) < 0 || check_shape_as(dyo, "dy", (PyArrayObject *)xo) < 0)
        return NULL;
    if (rows_in(xo, "x", ops, &X) < 0 || rows_in(dyo, "dy", ops, &DY) < 0) goto done;
    if (vec_in(go, "gamma", X.cols, &g) < 0) goto done;
    if ((!rms && vec_required(mo, "mean", X.rows, &mean) < 0) ||
        vec_required(ro, "rstd", X.rows, &rstd) < 0)
        goto done;
    if (want_dx) {
        if (outo != Py_None) {
            if (rows_out(outo, "out", ops, (PyArrayObject *)xo, &DX) < 0) goto done;
        } else if (rows_new((PyArrayObject *)xo, ops, &DX) < 0)
            goto done;
    }
    cdim = (npy_intp)X.cols;
    if (want_dg && !(dg = new_f32(1, &cdim))) goto done;
    if (want_db && !(db = new_f32(1, &cdim))) goto done;
    Py_BEGIN_ALLOW_THREADS
    if (rms)
        s = ops->rms_bwd(X.rows, X.cols, PyArray_DATA(DY.arr), DY.stride, PyArray_DATA(X.arr),
                         X.stride, F32(g), F32(rstd), DATA(DX.arr), DX.stride, F32(dg));
    else
        s = ops->ln_bwd(X.rows, X.cols, PyArray_DATA(DY.arr), DY.stride, PyArray_DATA(X.arr),
                        X.stride, F32(g), F32(mean), F32(rstd), DATA(DX.arr), DX.stride,
                        F32(dg), F32(db));
    Py_END_ALLOW_THREADS
    if (s != SIMDNORM_OK) {
        raise_status(fn, s);
        goto done;
    }
    {
        PyObject *items[3];
        int k = 0;
        items[k++] = ret_or_none(DX.arr);
        items[k++] = ret_or_none(dg);
        if (!rms) items[k++] = ret_or_none(db);
        result = pack(items, k);
    }
done:
    Py_XDECREF(DY.arr);
    Py_XDECREF(X.arr);
    Py_XDECREF(DX.arr);
    Py_XDECREF(g);
    Py_XDECREF(mean);
    Py_XDECREF(rstd);
    Py_XDECREF(dg);
    Py_XDECREF(db);
    return result;
}

static PyObject *py_layer_norm_bwd(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    return row_norm_bwd(0, args, kw);
}

static PyObject *py_rms_norm_bwd(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    return row_norm_bwd(1, args, kw);
}

/* ---- BatchNorm ------------------------------------------------------------ */

static PyObject *py_batch_norm_train(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"x", "gamma", "beta", "eps", "momentum", "running_mean",
                             "running_var", "layout", "activation", "out", "return_stats",
                             NULL};
    PyObject *xo, *go = Py_None, *bo = Py_None, *rmo = Py_None, *rvo = Py_None,
                  *lo = Py_None, *acto = Py_None, *outo = Py_None, *result = NULL;
    double eps = 1e-5, momentum = 0.1;
    int want_stats = 0;
    const dtype_ops *ops;
    simdnorm_layout layout;
    simdnorm_activation act;
    size_t n, c, sp;
    PyArrayObject *x = NULL, *y = NULL, *g = NULL, *b = NULL, *rm = NULL, *rv = NULL,
                  *sm = NULL, *sr = NULL;
    simdnorm_status s;
    (void)self;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOdd$OOOOOp:batch_norm_train", kwlist, &xo,
                                     &go, &bo, &eps, &momentum, &rmo, &rvo, &lo, &acto, &outo,
                                     &want_stats))
        return NULL;
    if (parse_activation(acto, &act) < 0 || parse_layout(lo, &layout) < 0) return NULL;
    if (!(ops = ops_of(xo, "x"))) return NULL;
    if (nc_dims((PyArrayObject *)xo, layout, &n, &c, &sp) < 0) return NULL;
    if (dense_in(xo, "x", ops, &x) < 0 || vec_in(go, "gamma", c, &g) < 0 ||
        vec_in(bo, "beta", c, &b) < 0 || vec_inout(rmo, "running_mean", c, &rm) < 0 ||
        vec_inout(rvo, "running_var", c, &rv) < 0 ||
        dense_out(outo, "out", ops, (PyArrayObject *)xo, &y) < 0)
        goto done;
    if (want_stats) {
        npy_intp cd = (npy_intp)c;
        if (!(sm = new_f32(1, &cd)) || !(sr = new_f32(1, &cd))) goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    s = ops->bn_train(layout, n, c, sp, PyArray_DATA(x), F32(g), F32(b), (float)eps,
                      (float)momentum, F32(rm), F32(rv), PyArray_DATA(y), F32(sm), F32(sr), act);
    Py_END_ALLOW_THREADS
    if (s != SIMDNORM_OK) {
        raise_status("batch_norm_train", s);
        goto done;
    }
    if (want_stats) {
        PyObject *items[3] = {ret_or_none(y), ret_or_none(sm), ret_or_none(sr)};
        result = pack(items, 3);
    } else
        result = ret_or_none(y);
done:
    Py_XDECREF(x);
    Py_XDECREF(y);
    Py_XDECREF(g);
    Py_XDECREF(b);
    Py_XDECREF(rm);
    Py_XDECREF(rv);
    Py_XDECREF(sm);
    Py_XDECREF(sr);
    return result;
}

static PyObject *py_batch_norm_infer(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"x", "mean", "var", "gamma", "beta", "eps", "layout",
                             "activation", "out", NULL};
    PyObject *xo, *mo, *vo, *go = Py_None, *bo = Py_None, *lo = Py_None, *acto = Py_None,
                            *outo = Py_None, *result = NULL;
    double eps = 1e-5;
    const dtype_ops *ops;
    simdnorm_layout layout;
    simdnorm_activation act;
    size_t n, c, sp;
    PyArrayObject *x = NULL, *y = NULL, *g = NULL, *b = NULL, *m = NULL, *v = NULL;
    simdnorm_status s;
    (void)self;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|OOd$OOO:batch_norm_infer", kwlist, &xo, &mo,
                                     &vo, &go, &bo, &eps, &lo, &acto, &outo))
        return NULL;
    if (parse_activation(acto, &act) < 0 || parse_layout(lo, &layout) < 0) return NULL;
    if (!(ops = ops_of(xo, "x"))) return NULL;
    if (nc_dims((PyArrayObject *)xo, layout, &n, &c, &sp) < 0) return NULL;
    if (dense_in(xo, "x", ops, &x) < 0 || vec_required(mo, "mean", c, &m) < 0 ||
        vec_required(vo, "var", c, &v) < 0 || vec_in(go, "gamma", c, &g) < 0 ||
        vec_in(bo, "beta", c, &b) < 0 || dense_out(outo, "out", ops, (PyArrayObject *)xo, &y) < 0)
        goto done;
    Py_BEGIN_ALLOW_THREADS
    s = ops->bn_infer(layout, n, c, sp, PyArray_DATA(x), F32(g), F32(b), F32(m), F32(v),
                      (float)eps, PyArray_DATA(y), act);
    Py_END_ALLOW_THREADS
    if (s != SIMDNORM_OK) {
        raise_status("batch_norm_infer", s);
        goto done;
    }
    result = ret_or_none(y);
done:
    Py_XDECREF(x);
    Py_XDECREF(y);
    Py_XDECREF(g);
    Py_XDECREF(b);
    Py_XDECREF(m);
    Py_XDECREF(v);
    return result;
}

/* BatchNorm and GroupNorm backward share everything but the call. */
static PyObject *nc_bwd(int group, PyObject *args, PyObject *kw)
{
    static char *bn_kw[] = {"dy", "x", "mean", "rstd", "gamma", "training", "layout", "out",
                            "compute_dx", "compute_dgamma", "compute_dbeta", NULL};
    static char *gn_kw[] = {"dy", "x", "mean", "rstd", "groups", "gamma", "layout", "out",
                            "compute_dx", "compute_dgamma", "compute_dbeta", NULL};
    const char *fn = group ? "group_norm_bwd" : "batch_norm_bwd";
    PyObject *dyo, *xo, *mo, *ro, *go = Py_None, *lo = Py_None, *outo = Py_None,
                                  *result = NULL;
    int training = 1, want_dx = 1, want_dg = 1, want_db = 1, ok;
    Py_ssize_t groups = 1;
    const dtype_ops *ops;
    simdnorm_layout layout;
    size_t n, c, sp, nstat;
    PyArrayObject *dy = NULL, *x = NULL, *dx = NULL, *g = NULL, *m = NULL, *r = NULL,
                  *dg = NULL, *db = NULL;
    simdnorm_status s;
    npy_intp cd;

    if (group)
        ok = PyArg_ParseTupleAndKeywords(args, kw, "OOOOn|O$OOppp:group_norm_bwd", gn_kw, &dyo,
                                         &xo, &mo, &ro, &groups, &go, &lo, &outo, &want_dx,
                                         &want_dg, &want_db);
    else
        ok = PyArg_ParseTupleAndKeywords(args, kw, "OOOO|Op$OOppp:batch_norm_bwd", bn_kw, &dyo,
                                         &xo, &mo, &ro, &go, &training, &lo, &outo, &want_dx,
                                         &want_dg, &want_db);
    if (!ok) return NULL;
    if (groups < 1) {
        PyErr_SetString(PyExc_ValueError, "groups must be >= 1");
        return NULL;
    }
    if (parse_layout(lo, &layout) < 0) return NULL;
    if (!(ops = ops_of(xo, "x"))) return NULL;
    if (check_same_dtype(dyo, "dy", ops) < 0 || check_shape_as(dyo, "dy", (PyArrayObject *)xo) < 0)
        return NULL;
    if (nc_dims((PyArrayObject *)xo, layout, &n, &c, &sp) < 0) return NULL;
    nstat = group ? n * (size_t)groups : c;
    if (dense_in(dyo, "dy", ops, &dy) < 0 || dense_in(xo, "x", ops, &x) < 0 ||
        vec_in(go, "gamma", c, &g) < 0 || vec_required(mo, "mean", nstat, &m) < 0 ||
        vec_required(ro, "rstd", nstat, &r) < 0)
        goto done;
    if (want_dx && dense_out(outo, "out", ops, (PyArrayObject *)xo, &dx) < 0) goto done;
    cd = (npy_intp)c;
    if (want_dg && !(dg = new_f32(1, &cd))) goto done;
    if (want_db && !(db = new_f32(1, &cd))) goto done;
    Py_BEGIN_ALLOW_THREADS
    if (group)
        s = ops->gn_bwd(layout, n, c, sp, (size_t)groups, PyArray_DATA(dy), PyArray_DATA(x),
                        F32(g), F32(m), F32(r), DATA(dx), F32(dg), F32(db));
    else
        s = ops->bn_bwd(layout, n, c, sp, PyArray_DATA(dy), PyArray_DATA(x), F32(g), F32(m),
                        F32(r), training, DATA(dx), F32(dg), F32(db));
    Py_END_ALLOW_THREADS
    if (s != SIMDNORM_OK) {
        raise_status(fn, s);
        goto done;
    }
    {
        PyObject *items[3] = {ret_or_none(dx), ret_or_none(dg), ret_or_none(db)};
        result = pack(items, 3);
    }
done:
    Py_XDECREF(dy);
    Py_XDECREF(x);
    Py_XDECREF(dx);
    Py_XDECREF(g);
    Py_XDECREF(m);
    Py_XDECREF(r);
    Py_XDECREF(dg);
    Py_XDECREF(db);
    return result;
}

static PyObject *py_batch_norm_bwd(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    return nc_bwd(0, args, kw);
}

static PyObject *py_group_norm_bwd(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    return nc_bwd(1, args, kw);
}

/* ---- GroupNorm -------------------------------------------------------------- */

static PyObject *py_group_norm(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"x", "groups", "gamma", "beta", "eps", "layout", "out",
                             "return_stats", NULL};
    PyObject *xo, *go = Py_None, *bo = Py_None, *lo = Py_None, *outo = Py_None,
                  *result = NULL;
    Py_ssize_t groups;
    double eps = 1e-5;
    int want_stats = 0;
    const dtype_ops *ops;
    simdnorm_layout layout;
    size_t n, c, sp;
    PyArrayObject *x = NULL, *y = NULL, *g = NULL, *b = NULL, *m = NULL, *r = NULL;
    simdnorm_status s;
    (void)self;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "On|OOd$OOp:group_norm", kwlist, &xo, &groups,
                                     &go, &bo, &eps, &lo, &outo, &want_stats))
        return NULL;
    if (groups < 1) {
        PyErr_SetString(PyExc_ValueError, "groups must be >= 1");
        return NULL;
    }
    if (parse_layout(lo, &layout) < 0) return NULL;
    if (!(ops = ops_of(xo, "x"))) return NULL;
    if (nc_dims((PyArrayObject *)xo, layout, &n, &c, &sp) < 0) return NULL;
    if (dense_in(xo, "x", ops, &x) < 0 || vec_in(go, "gamma", c, &g) < 0 ||
        vec_in(bo, "beta", c, &b) < 0 || dense_out(outo, "out", ops, (PyArrayObject *)xo, &y) < 0)
        goto done;
    if (want_stats) {
        npy_intp d[2] = {(npy_intp)n, (npy_intp)groups};
        if (!(m = new_f32(2, d)) || !(r = new_f32(2, d))) goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    s = ops->gn(layout, n, c, sp, (size_t)groups, PyArray_DATA(x), F32(g), F32(b), (float)eps,
                PyArray_DATA(y), F32(m), F32(r));
    Py_END_ALLOW_THREADS
    if (s != SIMDNORM_OK) {
        raise_status("group_norm", s);
        goto done;
    }
    if (want_stats) {
        PyObject *items[3] = {ret_or_none(y), ret_or_none(m), ret_or_none(r)};
        result = pack(items, 3);
    } else
        result = ret_or_none(y);
done:
    Py_XDECREF(x);
    Py_XDECREF(y);
    Py_XDECREF(g);
    Py_XDECREF(b);
    Py_XDECREF(m);
    Py_XDECREF(r);
    return result;
}

/* ---- activate --------------------------------------------------------------- */

static PyObject *py_activate(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"x", "activation", "out", NULL};
    PyObject *xo, *acto, *outo = Py_None, *result = NULL;
    const dtype_ops *ops;
    simdnorm_activation act;
    PyArrayObject *x = NULL, *y = NULL;
    simdnorm_status s;
    (void)self;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|$O:activate", kwlist, &xo, &acto, &outo))
        return NULL;
    if (parse_activation(acto, &act) < 0) return NULL;
    if (!(ops = ops_of(xo, "x"))) return NULL;
    if (dense_in(xo, "x", ops, &x) < 0 || dense_out(outo, "out", ops, (PyArrayObject *)xo, &y) < 0)
        goto done;
    Py_BEGIN_ALLOW_THREADS
    s = ops->activate((size_t)PyArray_SIZE(x), PyArray_DATA(x), act, PyArray_DATA(y));
    Py_END_ALLOW_THREADS
    if (s != SIMDNORM_OK) {
        raise_status("activate", s);
        goto done;
    }
    result = ret_or_none(y);
done:
    Py_XDECREF(x);
    Py_XDECREF(y);
    return result;
}

/* ---- ISA and threads ---------------------------------------------------------- */

/* How many ISAs the library lists: simdnorm_isa_name gives "unknown" past
 * the last (a new ISA needs no change here). */
static int n_isas(void)
{
    int n = 0;
    while (strcmp(simdnorm_isa_name((simdnorm_isa)n), "unknown") != 0)
        n++;
    return n;
}

static PyObject *py_active_isa(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return PyUnicode_FromString(simdnorm_isa_name(simdnorm_active_isa()));
}

static PyObject *py_available_isas(PyObject *self, PyObject *unused)
{
    PyObject *l = PyList_New(0);
    int i;
    (void)self;
    (void)unused;
    if (!l) return NULL;
    for (i = 0; i < n_isas(); i++) {
        if (simdnorm_isa_available((simdnorm_isa)i)) {
            PyObject *s = PyUnicode_FromString(simdnorm_isa_name((simdnorm_isa)i));
            if (!s || PyList_Append(l, s) < 0) {
                Py_XDECREF(s);
                Py_DECREF(l);
                return NULL;
            }
            Py_DECREF(s);
        }
    }
    return l;
}

static PyObject *py_set_isa(PyObject *self, PyObject *arg)
{
    const char *name;
    int i;
    simdnorm_status s;
    (void)self;
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "set_isa takes an ISA name ('scalar', 'avx2', ...)");
        return NULL;
    }
    if (!(name = PyUnicode_AsUTF8(arg))) return NULL;
    for (i = 0; i < n_isas(); i++) {
        if (strcmp(name, simdnorm_isa_name((simdnorm_isa)i)) == 0) {
            if ((s = simdnorm_set_isa((simdnorm_isa)i)) != SIMDNORM_OK) {
                PyErr_Format(PyExc_ValueError, "set_isa('%s'): %s", name,
                             simdnorm_status_str(s));
                return NULL;
            }
            Py_RETURN_NONE;
        }
    }
    PyErr_Format(PyExc_ValueError, "set_isa: unknown ISA '%s' (scalar, avx2, avx512, neon, avx512bf16)",
                 name);
    return NULL;
}

static PyObject *py_set_num_threads(PyObject *self, PyObject *arg)
{
    long n;
    simdnorm_status s;
    (void)self;
    if (!PyLong_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "set_num_threads takes an int");
        return NULL;
    }
    n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 1 || n > 1 << 20 || (s = simdnorm_set_num_threads((int)n)) != SIMDNORM_OK) {
        PyErr_Format(PyExc_ValueError, "set_num_threads(%ld): %s", n,
                     simdnorm_status_str(SIMDNORM_ERR_PARAM));
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *py_get_num_threads(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return PyLong_FromLong(simdnorm_get_num_threads());
}

static PyObject *py_status_str(PyObject *self, PyObject *arg)
{
    long v;
    (void)self;
    v = PyLong_AsLong(arg);
    if (v == -1 && PyErr_Occurred()) return NULL;
    return PyUnicode_FromString(simdnorm_status_str((simdnorm_status)v));
}

/* ---- torch tensors (simdnorm.torch's LayerNorm and RMSNorm) --------------- */

/* simdnorm.torch hands CPU float32 tensors to these private functions
 * directly instead of through NumPy views: a view is a detach(), a numpy()
 * and a reshape, about 2 us each, and a LayerNorm forward+backward took a
 * dozen (README "Python"). They trust nothing: a tensor is used only when
 * it answers is_cpu True, dtype torch.float32 (the object torch.py registers
 * through _torch_init), is_contiguous() True, is_neg() False (a
 * torch._neg_view's memory holds -x) and numel() as the call needs; only
 * then is its data_ptr() read. They trust the tensor's answers: an object
 * that lies about them could point them anywhere, as ctypes could. Anything else is TypeError or
 * ValueError, nothing written. Statistics travel as a NumPy float32 array
 * [k, rows] (LayerNorm: mean, rstd; RMSNorm: rstd) that the forward returns
 * and the backward takes back. */
static PyObject *torch_float32;
static PyObject *s_is_cpu, *s_dtype, *s_is_contiguous, *s_numel, *s_data_ptr, *s_is_neg;

static PyObject *py_torch_init(PyObject *self, PyObject *dtype)
{
    (void)self;
    if (!s_data_ptr && (!(s_is_cpu = PyUnicode_InternFromString("is_cpu")) ||
                        !(s_dtype = PyUnicode_InternFromString("dtype")) ||
                        !(s_is_contiguous = PyUnicode_InternFromString("is_contiguous")) ||
                        !(s_numel = PyUnicode_InternFromString("numel")) ||
                        !(s_is_neg = PyUnicode_InternFromString("is_neg")) ||
                        !(s_data_ptr = PyUnicode_InternFromString("data_ptr"))))
        return NULL;
    Py_INCREF(dtype);
    Py_XSETREF(torch_float32, dtype);
    Py_RETURN_NONE;
}

/* 1 when o's attribute (call: its method's result) `name` is True, 0 when
 * not, -1 with an exception. */
static int torch_flag(PyObject *o, PyObject *name, int call)
{
    PyObject *v = call ? PyObject_CallMethodObjArgs(o, name, NULL) : PyObject_GetAttr(o, name);
    int r;
    if (!v) return -1;
    r = v == Py_True;
    Py_DECREF(v);
    return r;
}

/* 1 when o is a CPU float32 tensor without the negative bit (dtype is
 * torch_float32; no dtype attribute - not a tensor - reads as a wrong
 * one), 0 when not, -1 with an exception. */
static int torch_plain_f32(PyObject *o)
{
    PyObject *v = PyObject_GetAttr(o, s_dtype);
    int ok;
    if (!v) PyErr_Clear();
    ok = v && v == torch_float32;
    Py_XDECREF(v);
    if (ok && (ok = torch_flag(o, s_is_cpu, 0)) == 1 && (ok = torch_flag(o, s_is_neg, 1)) >= 0)
        ok = !ok;
    return ok;
}

/* *p = the data of tensor o (None: NULL, where optional) after the checks
 * above; *n = its numel, which must equal want unless want is (size_t)-1. */
static int torch_tensor(PyObject *o, const char *what, int optional, size_t want, float **p,
                        size_t *n)
{
    PyObject *v;
    long long count;
    int ok;
    *p = NULL;
    if (o == Py_None) {
        if (optional) return 0;
        PyErr_Format(PyExc_TypeError, "%s: a tensor is required", what);
        return -1;
    }
    if (!torch_float32) {
        PyErr_SetString(PyExc_RuntimeError, "simdnorm._simdnorm._torch_init was not called");
        return -1;
    }
    if ((ok = torch_plain_f32(o)) != 1 || (ok = torch_flag(o, s_is_contiguous, 1)) != 1) {
        if (ok == 0)
            PyErr_Format(PyExc_TypeError, "%s: a contiguous CPU float32 tensor (no negative bit) "
                                          "is required", what);
        return -1;
    }
    if (!(v = PyObject_CallMethodObjArgs(o, s_numel, NULL))) return -1;
    count = PyLong_AsLongLong(v);
    Py_DECREF(v);
    if (count < 0 || (want != (size_t)-1 && (size_t)count != want)) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError, "%s: %lld elements, %zu expected", what, count, want);
        return -1;
    }
    if (n) *n = (size_t)count;
    if (!(v = PyObject_CallMethodObjArgs(o, s_data_ptr, NULL))) return -1;
    *p = PyLong_AsVoidPtr(v);
    Py_DECREF(v);
    return PyErr_Occurred() ? -1 : 0;
}

/* _as_array(t, perm=None): a NumPy float32 array on tensor t's memory,
 * holding a reference to t, for simdnorm.torch's BatchNorm and GroupNorm (a
 * detach().numpy() view costs ~2 us, this ~0.5). Its shape is t.shape in
 * the order perm (None: t's own order), and t must be a CPU float32 tensor
 * laid out as a C-contiguous array of that shape (perm (0, 2, 3, 1): a
 * channels_last [N, C, H, W] tensor as its [N, H, W, C] memory); anything
 * else is TypeError, so the array is always exactly the tensor's memory. */
static PyObject *py_as_array(PyObject *self, PyObject *args)
{
    PyObject *t, *perm = Py_None, *v, *shape = NULL, *stride = NULL, *arr = NULL;
    npy_intp dims[NPY_MAXDIMS];
    long long want = 1;
    Py_ssize_t nd, k;
    float *p;
    int ok, seen[NPY_MAXDIMS] = {0}, order[NPY_MAXDIMS];
    (void)self;
    if (!PyArg_ParseTuple(args, "O|O:_as_array", &t, &perm)) return NULL;
    if (perm != Py_None && !PyTuple_Check(perm))
        return PyErr_Format(PyExc_TypeError, "perm: a tuple or None");
    if (!torch_float32)
        return PyErr_Format(PyExc_RuntimeError, "simdnorm._simdnorm._torch_init was not called");
    if ((ok = torch_plain_f32(t)) != 1 ||
        (perm == Py_None && (ok = torch_flag(t, s_is_contiguous, 1)) != 1))
        goto bad;
    if (!(shape = PyObject_GetAttrString(t, "shape"))) goto done;
    if (!PyTuple_Check(shape) || (nd = PyTuple_GET_SIZE(shape)) > NPY_MAXDIMS) goto bad;
    if (perm != Py_None) {
        if (PyTuple_GET_SIZE(perm) != nd) goto bad;
        if (!(stride = PyObject_CallMethod(t, "stride", NULL))) goto done;
        if (!PyTuple_Check(stride) || PyTuple_GET_SIZE(stride) != nd) goto bad;
    }
    for (k = 0; k < nd; k++) {
        long long d = k;
        if (perm != Py_None) {
            d = PyLong_AsLongLong(PyTuple_GET_ITEM(perm, k));
            if (d < 0 || d >= nd || seen[d]++) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "perm: not a permutation");
                goto done;
            }
        }
        order[k] = (int)d;
    }
    /* innermost first: each dimension of size > 1 has the stride of a
     * C-contiguous array of the permuted shape */
    for (k = nd - 1; k >= 0; k--) {
        const int d = order[k];
        long long size, st;
        size = PyLong_AsLongLong(PyTuple_GET_ITEM(shape, d));
        st = stride ? PyLong_AsLongLong(PyTuple_GET_ITEM(stride, d)) : want;
        if (PyErr_Occurred()) goto done;
        if (size > 1 && st != want) goto bad;
        if (size && want > NPY_MAX_INTP / size) {
            PyErr_SetString(PyExc_ValueError, "too many elements");
            goto done;
        }
        dims[k] = (npy_intp)size;
        want *= size;
    }
    if (!(v = PyObject_CallMethodObjArgs(t, s_data_ptr, NULL))) goto done;
    p = PyLong_AsVoidPtr(v);
    Py_DECREF(v);
    if (PyErr_Occurred() || !(arr = PyArray_SimpleNewFromData((int)nd, dims, NPY_FLOAT32, p)))
        goto done;
    Py_INCREF(t);
    if (PyArray_SetBaseObject((PyArrayObject *)arr, t) < 0) Py_CLEAR(arr);
    goto done;
bad:
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError, "a CPU float32 tensor laid out as the array is required");
done:
    Py_XDECREF(shape);
    Py_XDECREF(stride);
    return arr;
}

/* x: a tensor of rows of cols (cols > 0): its data, numel and rows. */
static int torch_rows(PyObject *xo, Py_ssize_t cols, float **x, size_t *n, size_t *rows)
{
    if (cols <= 0) {
        PyErr_Format(PyExc_ValueError, "cols: %zd", cols);
        return -1;
    }
    if (torch_tensor(xo, "x", 0, (size_t)-1, x, n) < 0) return -1;
    if (*n % (size_t)cols) {
        PyErr_Format(PyExc_ValueError, "x: %zu elements, not rows of %zd", *n, cols);
        return -1;
    }
    *rows = *n / (size_t)cols;
    return 0;
}

/* _torch_row_norm(rms, x, weight, bias, y, cols, eps, stats): y = LayerNorm
 * (rms 0) or RMSNorm (rms 1, bias None) of x's rows of cols; returns the
 * statistics [k, rows] when stats is true, else None. */
static PyObject *py_torch_row_norm(PyObject *self, PyObject *args)
{
    PyObject *xo, *go, *bo, *yo;
    Py_ssize_t cols;
    double eps;
    int rms, want_stats;
    float *x, *g, *b, *y;
    size_t n, rows;
    PyArrayObject *st = NULL;
    float *mean = NULL, *rstd = NULL;
    simdnorm_status s;
    (void)self;
    if (!PyArg_ParseTuple(args, "pOOOOndp:_torch_row_norm", &rms, &xo, &go, &bo, &yo, &cols,
                          &eps, &want_stats))
        return NULL;
    if (torch_rows(xo, cols, &x, &n, &rows) < 0) return NULL;
    if (torch_tensor(go, "weight", 1, (size_t)cols, &g, NULL) < 0 ||
        torch_tensor(bo, "bias", 1, (size_t)cols, &b, NULL) < 0 ||
        torch_tensor(yo, "y", 0, n, &y, NULL) < 0)
        return NULL;
    if (rms && b) return PyErr_Format(PyExc_TypeError, "bias: RMSNorm has none");
    if (want_stats) {
        npy_intp dims[2] = {rms ? 1 : 2, (npy_intp)rows};
        if (!(st = new_f32(2, dims))) return NULL;
        rstd = (float *)PyArray_DATA(st) + (rms ? 0 : rows);
        mean = rms ? NULL : (float *)PyArray_DATA(st);
    }
    Py_BEGIN_ALLOW_THREADS
    s = rms ? simdnorm_rms_norm_f32(rows, (size_t)cols, x, (size_t)cols, g, (float)eps, y,
                                    (size_t)cols, rstd)
            : simdnorm_layer_norm_f32(rows, (size_t)cols, x, (size_t)cols, g, b, (float)eps, y,
                                      (size_t)cols, mean, rstd);
    Py_END_ALLOW_THREADS
    if (s != SIMDNORM_OK) {
        Py_XDECREF(st);
        return raise_status(rms ? "rms_norm" : "layer_norm", s);
    }
    if (!st) Py_RETURN_NONE;
    return (PyObject *)st;
}

/* _torch_row_norm_bwd(rms, dy, x, stats, weight, dx, dweight, dbias, cols):
 * the backward of _torch_row_norm with the statistics it returned; dx,
 * dweight, dbias (tensors to write, or None: not computed). */
static PyObject *py_torch_row_norm_bwd(PyObject *self, PyObject *args)
{
    PyObject *dyo, *xo, *sto, *go, *dxo, *dgo, *dbo;
    Py_ssize_t cols;
    int rms;
    float *dy, *x, *g, *dx, *dg, *db;
    size_t n, rows;
    PyArrayObject *st;
    simdnorm_status s;
    (void)self;
    if (!PyArg_ParseTuple(args, "pOOO!OOOOn:_torch_row_norm_bwd", &rms, &dyo, &xo,
                          &PyArray_Type, &sto, &go, &dxo, &dgo, &dbo, &cols))
        return NULL;
    if (torch_rows(xo, cols, &x, &n, &rows) < 0) return NULL;
    st = (PyArrayObject *)sto;
    if (PyArray_TYPE(st) != NPY_FLOAT32)
        return PyErr_Format(PyExc_TypeError, "stats: float32 required");
    if (!PyArray_IS_C_CONTIGUOUS(st) || PyArray_NDIM(st) != 2 ||
        PyArray_DIM(st, 0) != (rms ? 1 : 2) || PyArray_DIM(st, 1) != (npy_intp)rows)
        return PyErr_Format(PyExc_ValueError, "stats: not the forward's statistics of %zu rows",
                            rows);
    if (torch_tensor(dyo, "dy", 0, n, &dy, NULL) < 0 ||
        torch_tensor(go, "weight", 1, (size_t)cols, &g, NULL) < 0 ||
        torch_tensor(dxo, "dx", 1, n, &dx, NULL) < 0 ||
        torch_tensor(dgo, "dweight", 1, (size_t)cols, &dg, NULL) < 0 ||
        torch_tensor(dbo, "dbias", 1, (size_t)cols, &db, NULL) < 0)
        return NULL;
    if (rms && db) return PyErr_Format(PyExc_TypeError, "dbias: RMSNorm has none");
    {
        const float *mean = (const float *)PyArray_DATA(st), *rstd = mean + (rms ? 0 : rows);
        Py_BEGIN_ALLOW_THREADS
        s = rms ? simdnorm_rms_norm_bwd_f32(rows, (size_t)cols, dy, (size_t)cols, x, (size_t)cols,
                                            g, rstd, dx, (size_t)cols, dg)
                : simdnorm_layer_norm_bwd_f32(rows, (size_t)cols, dy, (size_t)cols, x,
                                              (size_t)cols, g, mean, rstd, dx, (size_t)cols, dg,
                                              db);
        Py_END_ALLOW_THREADS
    }
    if (s != SIMDNORM_OK) return raise_status(rms ? "rms_norm_bwd" : "layer_norm_bwd", s);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(doc_layer_norm,
    "layer_norm($module, /, x, gamma=None, beta=None, eps=1e-05, *, residual=None, bias=None, activation=None, h=None, out=None, return_stats=False)\n"
    "--\n"
    "\n"
    "LayerNorm of each row (the last axis) of x, any leading shape:\n"
    "y = act((h - mean) / sqrt(var + eps) * gamma + beta), h = x (+ residual) (+ bias).\n"
    "\n"
    "gamma, beta, bias: float32 [cols] or None. residual: like x. activation:\n"
    "None, 'relu', 'gelu' (erf), 'gelu_tanh', 'silu'. h: True to return h, or\n"
    "an array to write it into. out: the array to write y into (out=x: in place).\n"
    "Returns y; with return_stats, (y, mean, rstd) (shape x.shape[:-1]); h last\n"
    "when asked for. simdnorm_layer_norm_ex_f32.");

PyDoc_STRVAR(doc_rms_norm,
    "rms_norm($module, /, x, gamma=None, eps=1e-05, *, residual=None, bias=None, activation=None, h=None, out=None, return_stats=False)\n"
    "--\n"
    "\n"
    "RMSNorm of each row (the last axis): y = act(h / sqrt(mean(h^2) + eps) * gamma).\n"
    "Options as layer_norm; with return_stats, (y, rstd). simdnorm_rms_norm_ex_f32.");

PyDoc_STRVAR(doc_layer_norm_bwd,
    "layer_norm_bwd($module, /, dy, x, mean, rstd, gamma=None, *, out=None, compute_dx=True, compute_dgamma=True, compute_dbeta=True)\n"
    "--\n"
    "\n"
    "LayerNorm gradients from the forward's saved mean and rstd:\n"
    "returns (dx, dgamma, dbeta), None for those not computed. out: dx's array\n"
    "(out=dy: in place). simdnorm_layer_norm_bwd_f32.");

PyDoc_STRVAR(doc_rms_norm_bwd,
    "rms_norm_bwd($module, /, dy, x, rstd, gamma=None, *, out=None, compute_dx=True, compute_dgamma=True)\n"
    "--\n"
    "\n"
    "RMSNorm gradients from the forward's saved rstd: returns (dx, dgamma).\n"
    "simdnorm_rms_norm_bwd_f32.");

PyDoc_STRVAR(doc_batch_norm_train,
    "batch_norm_train($module, /, x, gamma=None, beta=None, eps=1e-05, momentum=0.1, *, running_mean=None, running_var=None, layout='NCHW', activation=None, out=None, return_stats=False)\n"
    "--\n"
    "\n"
    "BatchNorm training forward of x [N, C, *] (layout 'NCHW') or [N, *, C]\n"
    "('NHWC'): per-channel batch statistics; running_mean/running_var (float32\n"
    "[C], C-contiguous, writeable) are updated in place as PyTorch does. Returns\n"
    "y; with return_stats, (y, save_mean, save_rstd). simdnorm_batch_norm_train_ex_f32.");

PyDoc_STRVAR(doc_batch_norm_infer,
    "batch_norm_infer($module, /, x, mean, var, gamma=None, beta=None, eps=1e-05, *, layout='NCHW', activation=None, out=None)\n"
    "--\n"
    "\n"
    "BatchNorm inference with the given (running) mean and var. Returns y.\n"
    "simdnorm_batch_norm_infer_ex_f32.");

PyDoc_STRVAR(doc_batch_norm_bwd,
    "batch_norm_bwd($module, /, dy, x, mean, rstd, gamma=None, training=True, *, layout='NCHW', out=None, compute_dx=True, compute_dgamma=True, compute_dbeta=True)\n"
    "--\n"
    "\n"
    "BatchNorm gradients: mean/rstd are save_mean/save_rstd (training=True) or\n"
    "the running mean and 1/sqrt(running_var + eps) (training=False: fixed\n"
    "statistics). Returns (dx, dgamma, dbeta). simdnorm_batch_norm_bwd_f32.");

PyDoc_STRVAR(doc_group_norm,
    "group_norm($module, /, x, groups, gamma=None, beta=None, eps=1e-05, *, layout='NCHW', out=None, return_stats=False)\n"
    "--\n"
    "\n"
    "GroupNorm of x [N, C, *] ('NCHW') or [N, *, C] ('NHWC'): statistics per\n"
    "(sample, group of C/groups channels); gamma/beta per channel. Returns y;\n"
    "with return_stats, (y, mean, rstd) of shape (N, groups). simdnorm_group_norm_f32.");

PyDoc_STRVAR(doc_group_norm_bwd,
    "group_norm_bwd($module, /, dy, x, mean, rstd, groups, gamma=None, *, layout='NCHW', out=None, compute_dx=True, compute_dgamma=True, compute_dbeta=True)\n"
    "--\n"
    "\n"
    "GroupNorm gradients from the forward's saved mean/rstd (N*groups values).\n"
    "Returns (dx, dgamma, dbeta). simdnorm_group_norm_bwd_f32.");

PyDoc_STRVAR(doc_activate,
    "activate($module, /, x, activation, *, out=None)\n"
    "--\n"
    "\n"
    "The activation alone, elementwise, the same bits as the fused epilogue:\n"
    "activation None, 'relu', 'gelu', 'gelu_tanh' or 'silu'. simdnorm_activate_f32.");

PyDoc_STRVAR(doc_active_isa,
    "active_isa($module, /)\n"
    "--\n"
    "\n"
    "The ISA that calls use now: 'scalar', 'avx2', 'avx512', 'neon' or 'avx512bf16'.");

PyDoc_STRVAR(doc_available_isas,
    "available_isas($module, /)\n"
    "--\n"
    "\n"
    "The ISAs compiled in and runnable on this CPU and OS.");

PyDoc_STRVAR(doc_set_isa,
    "set_isa($module, name, /)\n"
    "--\n"
    "\n"
    "Force an ISA for all later calls (process-wide); ValueError if unknown or\n"
    "not available here. Results are the same bits on every ISA.");

PyDoc_STRVAR(doc_set_num_threads,
    "set_num_threads($module, n, /)\n"
    "--\n"
    "\n"
    "Threads for the library's later calls (n >= 1); results do not depend on it.");

PyDoc_STRVAR(doc_get_num_threads,
    "get_num_threads($module, /)\n"
    "--\n"
    "\n"
    "The library's thread count (default: OpenMP's, OMP_NUM_THREADS).");

PyDoc_STRVAR(doc_status_str,
    "status_str($module, status, /)\n"
    "--\n"
    "\n"
    "simdnorm_status_str: the message of a status code.");

#define KW (PyCFunction)(void (*)(void))

static PyMethodDef methods[] = {
    {"layer_norm", KW py_layer_norm, METH_VARARGS | METH_KEYWORDS, doc_layer_norm},
    {"rms_norm", KW py_rms_norm, METH_VARARGS | METH_KEYWORDS, doc_rms_norm},
    {"layer_norm_bwd", KW py_layer_norm_bwd, METH_VARARGS | METH_KEYWORDS, doc_layer_norm_bwd},
    {"rms_norm_bwd", KW py_rms_norm_bwd, METH_VARARGS | METH_KEYWORDS, doc_rms_norm_bwd},
    {"batch_norm_train", KW py_batch_norm_train, METH_VARARGS | METH_KEYWORDS, doc_batch_norm_train},
    {"batch_norm_infer", KW py_batch_norm_infer, METH_VARARGS | METH_KEYWORDS, doc_batch_norm_infer},
    {"batch_norm_bwd", KW py_batch_norm_bwd, METH_VARARGS | METH_KEYWORDS, doc_batch_norm_bwd},
    {"group_norm", KW py_group_norm, METH_VARARGS | METH_KEYWORDS, doc_group_norm},
    {"group_norm_bwd", KW py_group_norm_bwd, METH_VARARGS | METH_KEYWORDS, doc_group_norm_bwd},
    {"activate", KW py_activate, METH_VARARGS | METH_KEYWORDS, doc_activate},
    {"active_isa", py_active_isa, METH_NOARGS, doc_active_isa},
    {"available_isas", py_available_isas, METH_NOARGS, doc_available_isas},
    {"set_isa", py_set_isa, METH_O, doc_set_isa},
    {"set_num_threads", py_set_num_threads, METH_O, doc_set_num_threads},
    {"get_num_threads", py_get_num_threads, METH_NOARGS, doc_get_num_threads},
    {"status_str", py_status_str, METH_O, doc_status_str},
    /* private: simdnorm.torch's (see "torch tensors" above) */
    {"_torch_init", py_torch_init, METH_O, NULL},
    {"_torch_row_norm", py_torch_row_norm, METH_VARARGS, NULL},
    {"_torch_row_norm_bwd", py_torch_row_norm_bwd, METH_VARARGS, NULL},
    {"_as_array", py_as_array, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_simdnorm",
    "simdnorm's C API for NumPy arrays (see the package simdnorm).", -1, methods,
    NULL, NULL, NULL, NULL,
};

/* bfloat16's NumPy type number from ml_dtypes, when it is installed (its
 * import registers the type); without it (or with an ml_dtypes that fails
 * to import) the bfloat16 row stays -1. Always 0. */
static int bf16_lookup(void)
{
    PyObject *mod = PyImport_ImportModule("ml_dtypes"), *t;
    PyArray_Descr *d = NULL;
    if (!mod) { /* absent, or present but broken: simdnorm imports without it */
        PyErr_Clear();
        return 0;
    }
    t = PyObject_GetAttrString(mod, "bfloat16");
    Py_DECREF(mod);
    if (!t || !PyArray_DescrConverter(t, &d)) {
        Py_XDECREF(t);
        PyErr_Clear();
        return 0;
    }
    Py_DECREF(t);
    if (d->elsize == 2) dtype_table[BF16_ROW].type_num = d->type_num;
    Py_DECREF(d);
    return 0;
}

PyMODINIT_FUNC PyInit__simdnorm(void)
{
    PyObject *m, *dt;
    size_t i;
    import_array();
    if (!(m = PyModule_Create(&moduledef))) return NULL;
    if (PyModule_AddStringConstant(m, "version", simdnorm_version()) < 0) goto fail;
    if (bf16_lookup() < 0) goto fail;
    if (!(dt = PyList_New(0))) goto fail;
    for (i = 0; i < N_DTYPES; i++) {
        PyObject *s;
        if (dtype_table[i].type_num < 0) continue;
        if (!(s = PyUnicode_FromString(dtype_table[i].name)) || PyList_Append(dt, s) < 0) {
            Py_XDECREF(s);
            Py_DECREF(dt);
            goto fail;
        }
        Py_DECREF(s);
    }
    Py_SETREF(dt, PyList_AsTuple(dt));
    if (!dt) goto fail;
    if (PyModule_AddObject(m, "dtypes", dt) < 0) {
        Py_DECREF(dt);
        goto fail;
    }
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
