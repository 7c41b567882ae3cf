/*
 * A 2-D convolution (stride 1, no padding: the caller pads), a 2x2 max pooling of stride 2 and
 * a ReLU, forward and backward, as one loop: the convolution's full-size map is never stored.
 * Built by runtime/native.py, called by runtime/fused_stage.py, which says when it is used.
 *
 * Compiled once per layer shape: CIN input channels, a KH x KW kernel and CP output channels
 * rounded up to 16 (one vector of 16 floats; GCC's vector extensions, so the same source builds
 * for AVX-512, AVX2 or NEON with -march=native). H and W are the padded input's size; the output
 * is PH x PW = floor((H - KH + 1) / 2) x floor((W - KW + 1) / 2), as torch's MaxPool2d(2).
 * The channels are taken G vectors at a time (G independent sums per window position, and
 * each input value read once for all of them).
 *
 * Same results as torch's modules: the window's first maximum in row-major order wins, NaN
 * wins over any number, and ReLU's gradient is zero where the output is zero. The winner of each
 * window and channel is kept as one byte (255 where the ReLU zeroed it) for the backward pass,
 * which needs only the weights' and the bias's gradients: the input is data, not learned.
 * The sums are float32; the output is float32, or bfloat16 (rounded to nearest even, as torch
 * rounds) for a model that computes in bfloat16, whose output gradient is then bfloat16 too.
 *
 * Built with OpenMP where the process's torch uses GNU OpenMP (runtime/native.py checks): the
 * batch is then shared among `threads` threads of torch's own pool, the ones its operations
 * use, so no thread is added. Built without, `threads` is ignored.
 */
#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef CIN
#error "build with -DCIN=.. -DKH=.. -DKW=.. -DCP=.."
#endif
#define T (CIN * KH * KW)
#define NB (CP / 16)
/* vectors of channels taken together: all of them up to 4, else the largest divisor <= 4 */
#define G (NB <= 4 ? NB : NB % 4 == 0 ? 4 : NB % 3 == 0 ? 3 : NB % 2 == 0 ? 2 : 1)
#define DEAD 255

typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));
typedef uint32_t vu __attribute__((vector_size(64)));
typedef uint16_t vh __attribute__((vector_size(32)));
typedef uint8_t vb __attribute__((vector_size(16)));

static inline vf load(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline vf pick(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }

/* float32 -> bfloat16, round to nearest even; NaN -> 0x7FC0 (as c10::BFloat16) */
static inline vh to_bf16(vf v)
{
    vu u;
    memcpy(&u, &v, sizeof u);
    const vu nan = (vu)(v != v);
    vu r = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    r = (r & ~nan) | (nan & 0x7FC0u);
    return __builtin_convertvector(r, vh);
}

/* n (<= 16) gradients at p, float32 or bfloat16, as 16 floats (zero beyond n) */
static inline vf load_grad(const void *p, int64_t at, int n, int bf16)
{
    vf v = (vf){0};
    if (bf16) {
        vh h = (vh){0};
        memcpy(&h, (const uint16_t *)p + at, (size_t)n * sizeof(uint16_t));
        const vu u = __builtin_convertvector(h, vu) << 16;
        memcpy(&v, &u, sizeof v);
    } else {
        memcpy(&v, (const float *)p + at, (size_t)n * sizeof(float));
    }
    return v;
}

static void store_out(void *out, int out_bf16, int channels_last, int64_t b, int ph, int pw,
                      int PH, int PW, int cout, int cb, vf m)
{
    const int n = cout - cb < 16 ? cout - cb : 16;
    const int64_t pos = (b * PH + ph) * PW + pw;
    if (out_bf16) {
        const vh h = to_bf16(m);
        uint16_t *o = out;
        if (channels_last) {
            memcpy(o + pos * cout + cb, &h, (size_t)n * sizeof(uint16_t));
        } else {
            o += ((b * cout + cb) * PH + ph) * PW + pw;
            for (int k = 0; k < n; k++) o[(int64_t)k * PH * PW] = h[k];
        }
    } else {
        float *o = out;
        if (channels_last) {
            memcpy(o + pos * cout + cb, &m, (size_t)n * sizeof(float));
        } else {
            o += ((b * cout + cb) * PH + ph) * PW + pw;
            for (int k = 0; k < n; k++) o[(int64_t)k * PH * PW] = m[k];
        }
    }
}

static void forward_rows(const float *restrict x, int H, int W, int64_t sb, int64_t sc,
                         int64_t sr, const float *restrict wt,
                         const float *restrict bias, int cout, int channels_last, void *out,
                         int out_bf16, uint8_t *restrict win, int b0, int b1)
{
    const int PH = (H - KH + 1) / 2, PW = (W - KW + 1) / 2;
    for (int b = b0; b < b1; b++) {
        const float *xb = x + b * sb;
        for (int ph = 0; ph < PH; ph++)
        for (int pw = 0; pw < PW; pw++) {
            const int64_t pos = ((int64_t)b * PH + ph) * PW + pw;
            for (int cb = 0; cb < CP; cb += 16 * G) {
                vf a0[G], a1[G], a2[G], a3[G];
                for (int g = 0; g < G; g++)
                    a0[g] = a1[g] = a2[g] = a3[g] = load(bias + cb + 16 * g);
                for (int ci = 0; ci < CIN; ci++)
                for (int i = 0; i < KH; i++)
                for (int j = 0; j < KW; j++) {
                    const float *xr = xb + ci * sc + (2 * ph + i) * sr + 2 * pw + j;
                    const float x0 = xr[0], x1 = xr[1], x2 = xr[sr], x3 = xr[sr + 1];
                    const float *wr = wt + ((ci * KH + i) * KW + j) * CP + cb;
                    for (int g = 0; g < G; g++) {
                        const vf w = load(wr + 16 * g);
                        a0[g] += w * x0; a1[g] += w * x1; a2[g] += w * x2; a3[g] += w * x3;
                    }
                }
                for (int g = 0; g < G; g++) {
                    /* the window's maximum: later positions win only when greater, or NaN */
                    vf m = a0[g]; vi at = (vi){0};
                    vi c = (a1[g] > m) | (a1[g] != a1[g]); m = pick(c, a1[g], m);
                    at = (c & 1) | (~c & at);
                    c = (a2[g] > m) | (a2[g] != a2[g]); m = pick(c, a2[g], m);
                    at = (c & 2) | (~c & at);
                    c = (a3[g] > m) | (a3[g] != a3[g]); m = pick(c, a3[g], m);
                    at = (c & 3) | (~c & at);
                    const vi dead = m <= 0.0f;  /* false for NaN: ReLU passes it on */
                    m = pick(dead, (vf){0}, m);
                    at = (dead & DEAD) | (~dead & at);
                    const vb w8 = __builtin_convertvector(at, vb);
                    memcpy(win + pos * CP + cb + 16 * g, &w8, sizeof w8);
                    if (cb + 16 * g < cout)
                        store_out(out, out_bf16, channels_last, b, ph, pw, PH, PW, cout,
                                  cb + 16 * g, m);
                }
            }
        }
    }
}

static void backward_rows(const float *restrict x, int H, int W, int64_t sb, int64_t sc,
                          int64_t sr, const void *grad, int grad_bf16,
                          int cout, const uint8_t *restrict win, float *restrict gw,
                          float *restrict gb, int b0, int b1)
{
    const int PH = (H - KH + 1) / 2, PW = (W - KW + 1) / 2;
    for (int cb = 0; cb < CP; cb += 16 * G) {
        vf acc[T][G], accb[G];
        for (int g = 0; g < G; g++) {
            accb[g] = (vf){0};
            for (int t = 0; t < T; t++) acc[t][g] = (vf){0};
        }
        for (int b = b0; b < b1; b++) {
            const float *xb = x + b * sb;
            for (int ph = 0; ph < PH; ph++)
            for (int pw = 0; pw < PW; pw++) {
                const int64_t pos = ((int64_t)b * PH + ph) * PW + pw;
                vf g0[G], g1[G], g2[G], g3[G];
                for (int g = 0; g < G; g++) {
                    const int c = cb + 16 * g, n = cout - c < 16 ? (cout > c ? cout - c : 0) : 16;
                    vb w8;
                    memcpy(&w8, win + pos * CP + c, sizeof w8);
                    const vi at = __builtin_convertvector(w8, vi);
                    const vf d = load_grad(grad, pos * cout + c, n, grad_bf16);
                    g0[g] = pick(at == 0, d, (vf){0}); g1[g] = pick(at == 1, d, (vf){0});
                    g2[g] = pick(at == 2, d, (vf){0}); g3[g] = pick(at == 3, d, (vf){0});
                    accb[g] += (g0[g] + g1[g]) + (g2[g] + g3[g]);
                }
                for (int ci = 0; ci < CIN; ci++)
                for (int i = 0; i < KH; i++)
                for (int j = 0; j < KW; j++) {
                    const float *xr = xb + ci * sc + (2 * ph + i) * sr + 2 * pw + j;
                    const float x0 = xr[0], x1 = xr[1], x2 = xr[sr], x3 = xr[sr + 1];
                    const int t = (ci * KH + i) * KW + j;
                    for (int g = 0; g < G; g++)
                        acc[t][g] += (g0[g] * x0 + g1[g] * x1) + (g2[g] * x2 + g3[g] * x3);
                }
            }
        }
        for (int g = 0; g < G; g++) {
            for (int t = 0; t < T; t++) memcpy(gw + t * CP + cb + 16 * g, &acc[t][g], sizeof(vf));
            memcpy(gb + cb + 16 * g, &accb[g], sizeof(vf));
        }
    }
}

static void share(int rows, int part, int parts, int *b0, int *b1)
{
    *b0 = (int)((int64_t)rows * part / parts);
    *b1 = (int)((int64_t)rows * (part + 1) / parts);
}

/*
 * x: [B][CIN][H][W] with its rows contiguous, sb, sc and sr floats apart from one image,
 * channel and row to the next (a view cropped on the right and bottom needs no copy); weight: [cout][CIN][KH][KW] and bias: [cout] (or NULL), float32, as torch
 * holds them; out: [B][PH][PW][cout] when channels_last, else [B][cout][PH][PW], float32 or
 * (out_bf16) bfloat16; win: [B][PH][PW][CP]. wt: [T + 1][CP] floats of the caller's (a wide
 * layer's would not fit on a thread's stack), filled here with the weight transposed and the
 * bias, zero beyond the real channels.
 */
void ll_conv_pool_relu_forward(const float *x, int B, int H, int W, int64_t sb, int64_t sc,
                               int64_t sr, const float *weight,
                               const float *bias, int cout, int channels_last, void *out,
                               int out_bf16, uint8_t *win, float *wt, int threads)
{
    float *bp = wt + T * CP;
    memset(wt, 0, sizeof(float) * (T + 1) * CP);
    for (int c = 0; c < cout; c++) {
        for (int t = 0; t < T; t++) wt[t * CP + c] = weight[c * T + t];
        if (bias) bp[c] = bias[c];
    }
#ifdef _OPENMP
    if (threads > 1) {
#pragma omp parallel num_threads(threads)
        {
            int b0, b1;
            share(B, omp_get_thread_num(), omp_get_num_threads(), &b0, &b1);
            forward_rows(x, H, W, sb, sc, sr, wt, bp, cout, channels_last, out, out_bf16, win,
                         b0, b1);
        }
        return;
    }
#endif
    (void)threads;
    forward_rows(x, H, W, sb, sc, sr, wt, bp, cout, channels_last, out, out_bf16, win, 0, B);
}

/*
 * grad: [B][PH][PW][cout] (the output's gradient, channels last), float32 or (grad_bf16)
 * bfloat16. Writes the weight's gradient, [cout][CIN][KH][KW], to gw and the bias's, [cout],
 * to gb (NULL: not wanted). scratch: [threads][T + 1][CP] floats, each thread's share.
 */
void ll_conv_pool_relu_backward(const float *x, int B, int H, int W, int64_t sb, int64_t sc,
                                int64_t sr, const void *grad,
                                int grad_bf16, int cout, const uint8_t *win, float *gw,
                                float *gb, float *scratch, int threads)
{
    int parts = 1;
#ifdef _OPENMP
    if (threads > 1) {
#pragma omp parallel num_threads(threads)
        {
            const int part = omp_get_thread_num(), n = omp_get_num_threads();
            int b0, b1;
            share(B, part, n, &b0, &b1);
            float *mine = scratch + (int64_t)part * (T + 1) * CP;
            backward_rows(x, H, W, sb, sc, sr, grad, grad_bf16, cout, win, mine, mine + T * CP,
                          b0, b1);
            if (part == 0) parts = n;
        }
    } else
#endif
    backward_rows(x, H, W, sb, sc, sr, grad, grad_bf16, cout, win, scratch, scratch + T * CP,
                  0, B);
    (void)threads;
    for (int p = 1; p < parts; p++)
        for (int k = 0; k < (T + 1) * CP; k++)
            scratch[k] += scratch[(int64_t)p * (T + 1) * CP + k];
    for (int c = 0; c < cout; c++) {
        for (int t = 0; t < T; t++) gw[c * T + t] = scratch[t * CP + c];
        if (gb) gb[c] = scratch[T * CP + c];
    }
}

/* whether this build shares the batch among threads */
int ll_conv_pool_relu_threaded(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}
