/*
 * A 2x2 max pooling of stride 2 followed by a ReLU, forward and backward, as one pass over a
 * channels-last map. Built by runtime/native.py, called by runtime/fused_pool.py, which says
 * when it is used.
 *
 * As PyTorch modules the pair costs four passes and two buffers: the pooling writes its output
 * and an int64 index per value, the ReLU rewrites the output, and backward the ReLU's mask is
 * applied, a zeroed map of the input's size is filled and the gradient scattered into it. Here
 * the forward pass writes the output and one byte per value saying which of the window's four
 * values won (DEAD where the ReLU zeroed it), and the backward pass writes each input gradient
 * once, from that byte.
 *
 * Same results as torch's modules, bit for bit: the window's first maximum in row-major order
 * wins, NaN wins over any number (the last NaN, as torch's channels-last kernel takes it), the
 * ReLU keeps NaN, and its gradient is zero where the output is <= 0. Values are float32 or
 * bfloat16 (compared as the floats they are exactly); the output is the winning value itself.
 *
 * x: [B][H][W][C] (channels last, contiguous). out: element (b, c, ph, pw) at
 * b*osb + c*osc + ph*osh + pw*osw, PH = H / 2, PW = W / 2 (floor, as MaxPool2d(2)).
 * win: [B][PH][PW][C]. Backward: g read with its own strides as out is written; gi: like x.
 * scratch: [threads][PW][C] values of the caller's, one output row a thread, where out or g is
 * laid out otherwise than x (channels first, before a Flatten). widen: out is float32 (the
 * bfloat16 values exactly) and g float32, rounded to bfloat16 as torch's cast would round it:
 * for a float32 layer after the Flatten under bfloat16 autocast, whose two casts it saves.
 *
 * Built with OpenMP where the process's torch uses GNU OpenMP (runtime/native.py checks): the
 * rows are shared among `threads` threads of torch's own pool. Built without, `threads` is
 * ignored.
 */
#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define DEAD 255

static inline float f32(float v) { return v; }

static inline float bf16(uint16_t h)
{
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* float32 -> bfloat16, rounded to nearest even, NaN -> 0x7FC0: as torch's .to(bfloat16) */
static inline uint16_t bf16_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if (f != f)
        return 0x7FC0;
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

static void share(int64_t rows, int part, int parts, int64_t *r0, int64_t *r1)
{
    *r0 = rows * part / parts;
    *r1 = rows * (part + 1) / parts;
}

/* take v (and corner k) over the running maximum where it is larger or NaN */
#define TAKE(P, K)                                                     \
    do {                                                               \
        const float v = VAL(P[c]);                                     \
        const int t = v > m || v != v;                                 \
        m = t ? v : m;                                                 \
        mv = t ? P[c] : mv;                                            \
        k = t ? (K) : k;                                               \
    } while (0)

#define KERNELS(SUFFIX, T)                                                                   \
static void forward_##SUFFIX(const T *x, int H, int W, int C, int PH, int PW, T *out,       \
                             int64_t osb, int64_t osc, int64_t osh, int64_t osw,           \
                             uint8_t *win, T *tmp, int widen, int64_t r0, int64_t r1)      \
{                                                                                          \
    const int direct = !widen && osc == 1 && osw == C;                                     \
    for (int64_t r = r0; r < r1; r++) {                                                    \
        const int64_t b = r / PH, ph = r % PH;                                             \
        const T *row0 = x + (b * H + 2 * ph) * W * C, *row1 = row0 + (int64_t)W * C;       \
        T *o = direct ? out + b * osb + ph * osh : tmp;                                    \
        for (int pw = 0; pw < PW; pw++) {                                                  \
            const T *p0 = row0 + (int64_t)2 * pw * C, *p1 = p0 + C;                        \
            const T *p2 = row1 + (int64_t)2 * pw * C, *p3 = p2 + C;                        \
            uint8_t *wn = win + (r * PW + pw) * C;                                         \
            T *op = o + (int64_t)pw * C;                                                   \
            for (int c = 0; c < C; c++) {                                                  \
                float m = VAL(p0[c]);                                                      \
                T mv = p0[c];                                                              \
                int k = 0;                                                                 \
                TAKE(p1, 1);                                                               \
                TAKE(p2, 2);                                                               \
                TAKE(p3, 3);                                                               \
                wn[c] = m <= 0.0f ? DEAD : (uint8_t)k;                                     \
                op[c] = m < 0.0f ? (T)0 : mv; /* -0.0 stays -0.0, as torch's ReLU keeps it */ \
            }                                                                              \
        }                                                                                  \
        if (!direct && widen) { /* as float32, for a float32 layer after it */              \
            float *ob = (float *)(void *)out + b * osb + ph * osh;                         \
            for (int c = 0; c < C; c++)                                                    \
                for (int pw = 0; pw < PW; pw++)                                            \
                    ob[c * osc + pw * osw] = VAL(tmp[(int64_t)pw * C + c]);                \
        } else if (!direct) { /* another layout (channels first): moved from the row */    \
            T *ob = out + b * osb + ph * osh;                                              \
            for (int c = 0; c < C; c++)                                                    \
                for (int pw = 0; pw < PW; pw++)                                            \
                    ob[c * osc + pw * osw] = tmp[(int64_t)pw * C + c];                     \
        }                                                                                  \
    }                                                                                      \
}                                                                                          \
                                                                                           \
static void backward_##SUFFIX(const T *g, int64_t gsb, int64_t gsc, int64_t gsh,           \
                              int64_t gsw, const uint8_t *win, int H, int W, int C,        \
                              int PH, int PW, T *gi, T *tmp, int widen, int64_t r0,        \
                              int64_t r1)                                                  \
{                                                                                          \
    const int direct = !widen && gsc == 1 && gsw == C;                                     \
    for (int64_t r = r0; r < r1; r++) {                                                    \
        const int64_t b = r / PH, ph = r % PH;                                             \
        const T *gb = g + b * gsb + ph * gsh;                                              \
        if (widen) { /* float32 gradients, rounded as torch's cast back would round them */ \
            const float *gf = (const float *)(const void *)g + b * gsb + ph * gsh;         \
            for (int c = 0; c < C; c++)                                                    \
                for (int pw = 0; pw < PW; pw++)                                            \
                    tmp[(int64_t)pw * C + c] = NARROW(gf[c * gsc + pw * gsw]);             \
            gb = tmp;                                                                      \
        } else if (!direct) { /* the row's gradients side by side, as the windows read */  \
            for (int c = 0; c < C; c++)                                                    \
                for (int pw = 0; pw < PW; pw++)                                            \
                    tmp[(int64_t)pw * C + c] = gb[c * gsc + pw * gsw];                     \
            gb = tmp;                                                                      \
        }                                                                                  \
        const uint8_t *wr = win + r * PW * C;                                              \
        for (int dy = 0; dy < 2; dy++) {                                                   \
            T *dst = gi + ((b * H + 2 * ph + dy) * W) * C;                                 \
            for (int w = 0; w < 2 * PW; w++) {                                             \
                const uint8_t k = (uint8_t)(dy * 2 + (w & 1));                             \
                const uint8_t *wn = wr + (int64_t)(w / 2) * C;                             \
                const T *gp = gb + (int64_t)(w / 2) * C;                                   \
                T *d = dst + (int64_t)w * C;                                               \
                for (int c = 0; c < C; c++) d[c] = wn[c] == k ? gp[c] : (T)0;             \
            }                                                                              \
            if (2 * PW < W)                                                                \
                memset(dst + (int64_t)2 * PW * C, 0, sizeof(T) * (W - 2 * PW) * C);        \
        }                                                                                  \
        if (ph == PH - 1 && 2 * PH < H) /* the odd last row no window reads */             \
            memset(gi + ((b * H + 2 * PH) * W) * C, 0, sizeof(T) * (H - 2 * PH) * W * C);  \
    }                                                                                      \
}

#define VAL f32
#define NARROW f32
KERNELS(f32, float)
#undef VAL
#undef NARROW
#define VAL bf16
#define NARROW bf16_of
KERNELS(bf16, uint16_t)
#undef VAL
#undef NARROW

static int outer(int threads, int64_t rows)
{
#ifdef _OPENMP
    return threads > 1 && rows > 1 ? threads : 1;
#else
    (void)threads;
    (void)rows;
    return 1;
#endif
}

/* this thread's rows [r0, r1) of `rows`, and where its share of scratch (`each` values) starts */
static void my_rows(int64_t rows, int64_t each, int64_t *r0, int64_t *r1, int64_t *mine)
{
    int part = 0, parts = 1;
#ifdef _OPENMP
    part = omp_get_thread_num();
    parts = omp_get_num_threads();
#endif
    share(rows, part, parts, r0, r1);
    *mine = part * each;
}

void ll_pool_relu_forward(const void *x, int B, int H, int W, int C, void *out, int64_t osb,
                          int64_t osc, int64_t osh, int64_t osw, uint8_t *win, void *scratch,
                          int is_bf16, int widen, int threads)
{
    const int PH = H / 2, PW = W / 2;
    const int64_t rows = (int64_t)B * PH;
    const int n = outer(threads, rows);
#ifdef _OPENMP
#pragma omp parallel num_threads(n) if (n > 1)
#endif
    {
        int64_t r0, r1, mine;
        my_rows(rows, (int64_t)PW * C, &r0, &r1, &mine);
        if (is_bf16)
            forward_bf16(x, H, W, C, PH, PW, out, osb, osc, osh, osw, win,
                         (uint16_t *)scratch + mine, widen, r0, r1);
        else
            forward_f32(x, H, W, C, PH, PW, out, osb, osc, osh, osw, win,
                        (float *)scratch + mine, widen, r0, r1);
    }
    (void)n;
}

void ll_pool_relu_backward(const void *g, int64_t gsb, int64_t gsc, int64_t gsh, int64_t gsw,
                           const uint8_t *win, int B, int H, int W, int C, void *gi,
                           void *scratch, int is_bf16, int widen, int threads)
{
    const int PH = H / 2, PW = W / 2;
    const int64_t rows = (int64_t)B * PH;
    const int n = outer(threads, rows);
#ifdef _OPENMP
#pragma omp parallel num_threads(n) if (n > 1)
#endif
    {
        int64_t r0, r1, mine;
        my_rows(rows, (int64_t)PW * C, &r0, &r1, &mine);
        if (is_bf16)
            backward_bf16(g, gsb, gsc, gsh, gsw, win, H, W, C, PH, PW, gi,
                          (uint16_t *)scratch + mine, widen, r0, r1);
        else
            backward_f32(g, gsb, gsc, gsh, gsw, win, H, W, C, PH, PW, gi,
                         (float *)scratch + mine, widen, r0, r1);
    }
    (void)n;
}
