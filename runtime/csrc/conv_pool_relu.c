/*
 * A 2-D convolution (stride 1, no padding: the caller pads), a 2x2 max pooling of stride 2 and
 * a ReLU, forward and backward, as one loop: the convolution's full-size map is never stored.
 * Built by runtime/native.py, called by runtime/fused_stage.py, which says when it is used.
 *
 * Compiled once per layer shape: CIN input channels, a KH x KW kernel and CP output channels
 * rounded up to 16 (one vector of 16 floats; GCC's vector extensions, so the same source builds
 * for AVX-512, AVX2 or NEON with -march=native). H and W are the padded input's size; the output
 * is PH x PW = floor((H - KH + 1) / 2) x floor((W - KW + 1) / 2), as torch's MaxPool2d(2).
 *
 * Same results as torch's modules: the window's first maximum in row-major order wins, NaN
 * wins over any number, and ReLU's gradient is zero where the output is zero. The winner of each
 * window and channel is kept as one byte (255 where the ReLU zeroed it) for the backward pass,
 * which needs only the weights' and the bias's gradients: the input is data, not learned.
 */
#include <stdint.h>
#include <string.h>

#ifndef CIN
#error "build with -DCIN=.. -DKH=.. -DKW=.. -DCP=.."
#endif
#define T (CIN * KH * KW)
#define DEAD 255

typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));
typedef uint8_t vb __attribute__((vector_size(16)));

static inline vf load(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline vf load_n(const float *p, int n)
{
    vf v = (vf){0};
    if (n == 16) memcpy(&v, p, sizeof v); else memcpy(&v, p, (size_t)n * sizeof(float));
    return v;
}
static inline vf pick(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }

/*
 * x: [B][CIN][H][W]; wt: [T][CP] (the weight transposed, zero beyond the real channels);
 * bias: [CP]; out: [B][PH][PW][cout] when channels_last, else [B][cout][PH][PW];
 * win: [B][PH][PW][CP]. Rows b0..b1-1 of the batch.
 */
void ll_conv_pool_relu_forward(const float *restrict x, int H, int W, const float *restrict wt,
                               const float *restrict bias, int cout, int channels_last,
                               float *restrict out, uint8_t *restrict win, int b0, int b1)
{
    const int PH = (H - KH + 1) / 2, PW = (W - KW + 1) / 2;
    for (int b = b0; b < b1; b++) {
        const float *xb = x + (int64_t)b * CIN * H * W;
        for (int ph = 0; ph < PH; ph++)
        for (int pw = 0; pw < PW; pw++) {
            const int64_t pos = ((int64_t)b * PH + ph) * PW + pw;
            for (int cb = 0; cb < CP; cb += 16) {
                vf a0 = load(bias + cb), a1 = a0, a2 = a0, a3 = a0;
                for (int ci = 0; ci < CIN; ci++)
                for (int i = 0; i < KH; i++)
                for (int j = 0; j < KW; j++) {
                    const vf w = load(wt + ((ci * KH + i) * KW + j) * CP + cb);
                    const float *xr = xb + ((int64_t)ci * H + 2 * ph + i) * W + 2 * pw + j;
                    a0 += w * xr[0]; a1 += w * xr[1]; a2 += w * xr[W]; a3 += w * xr[W + 1];
                }
                /* the window's maximum: later positions win only when greater, or NaN */
                vf m = a0; vi at = (vi){0};
                vi c = (a1 > m) | (a1 != a1); m = pick(c, a1, m); at = (c & 1) | (~c & at);
                c = (a2 > m) | (a2 != a2); m = pick(c, a2, m); at = (c & 2) | (~c & at);
                c = (a3 > m) | (a3 != a3); m = pick(c, a3, m); at = (c & 3) | (~c & at);
                const vi dead = m <= 0.0f;  /* false for NaN: ReLU passes it on */
                m = pick(dead, (vf){0}, m);
                at = (dead & DEAD) | (~dead & at);
                const vb w8 = __builtin_convertvector(at, vb);
                memcpy(win + pos * CP + cb, &w8, sizeof w8);
                const int n = cout - cb < 16 ? cout - cb : 16;
                if (channels_last) {
                    memcpy(out + pos * cout + cb, &m, (size_t)n * sizeof(float));
                } else {
                    float *o = out + (((int64_t)b * cout + cb) * PH + ph) * PW + pw;
                    for (int k = 0; k < n; k++) o[(int64_t)k * PH * PW] = m[k];
                }
            }
        }
    }
}

/*
 * grad: [B][PH][PW][cout] (the output's gradient, channels last); adds rows b0..b1-1's share
 * to gw: [T][CP] and gb: [CP].
 */
void ll_conv_pool_relu_backward(const float *restrict x, int H, int W,
                                const float *restrict grad, int cout,
                                const uint8_t *restrict win, float *restrict gw,
                                float *restrict gb, int b0, int b1)
{
    const int PH = (H - KH + 1) / 2, PW = (W - KW + 1) / 2;
    for (int cb = 0; cb < CP; cb += 16) {
        const int n = cout - cb < 16 ? cout - cb : 16;
        vf acc[T], accb = (vf){0};
        for (int t = 0; t < T; t++) acc[t] = (vf){0};
        for (int b = b0; b < b1; b++) {
            const float *xb = x + (int64_t)b * CIN * H * W;
            for (int ph = 0; ph < PH; ph++)
            for (int pw = 0; pw < PW; pw++) {
                const int64_t pos = ((int64_t)b * PH + ph) * PW + pw;
                vb w8;
                memcpy(&w8, win + pos * CP + cb, sizeof w8);
                const vi at = __builtin_convertvector(w8, vi);
                const vf g = load_n(grad + pos * cout + cb, n);
                const vf g0 = pick(at == 0, g, (vf){0}), g1 = pick(at == 1, g, (vf){0});
                const vf g2 = pick(at == 2, g, (vf){0}), g3 = pick(at == 3, g, (vf){0});
                accb += (g0 + g1) + (g2 + g3);
                for (int ci = 0; ci < CIN; ci++)
                for (int i = 0; i < KH; i++)
                for (int j = 0; j < KW; j++) {
                    const float *xr = xb + ((int64_t)ci * H + 2 * ph + i) * W + 2 * pw + j;
                    acc[(ci * KH + i) * KW + j] += g0 * xr[0] + g1 * xr[1] + g2 * xr[W]
                                                   + g3 * xr[W + 1];
                }
            }
        }
        for (int t = 0; t < T; t++) {
            vf s = load(gw + t * CP + cb) + acc[t];
            memcpy(gw + t * CP + cb, &s, sizeof s);
        }
        vf s = load(gb + cb) + accb;
        memcpy(gb + cb, &s, sizeof s);
    }
}
