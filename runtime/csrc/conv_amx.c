/*
 * A bfloat16 convolution (stride 1, no padding, no dilation, one group) on Intel's AMX tiles,
 * forward and backward, for bfloat16 mixed-precision training on CPUs that have them (Sapphire
 * Rapids and later). Built by runtime/native.py only on such a CPU, called by
 * runtime/amx_conv.py, which says when it is used and why.
 *
 * Layouts: x [B][H][W][IC] and out, g [B][OH][OW][OC], gi like x: bfloat16, channels last,
 * contiguous. weight [OC][IC][KH][KW], bias [OC]: float32 (the layer's own parameters: the
 * kernel rounds the weight to bfloat16 itself, as autocast's cast would); gw and gb float32
 * (the parameters' gradients, summed in float32 and not rounded to bfloat16 first). IC and OC
 * are multiples of 32; OH = H - KH + 1, OW = W - KW + 1.
 *
 * The windows are read "full width": output position q = oh * W + ow of an image reads input
 * position q + kh * W + kw, so the input rows of one tap for 16 consecutive q are 16
 * consecutive channel vectors of x, one tile load. The KW - 1 positions at the end of each
 * row (ow >= OW) are computed and dropped forward; backward their gradient is zero.
 *
 * Tile use, in every pass: four float32 accumulator tiles (two row blocks x two column blocks),
 * two A tiles and two B tiles, so that each tile loaded feeds two products.
 *   forward:  C[q][oc] += x[q + tap][ic] . w[tap][ic][oc]
 *   backward, input:   gi[p][ic] += g[p - tap][oc] . w[tap][oc][ic]  (g read full width,
 *                      with zeros around it, so every p reads in bounds)
 *   backward, weight:  gw[tap][ic][oc] += xT[ic][q + tap] . g[q][oc]  (x transposed, g with
 *                      pairs of positions interleaved, AMX's B layout)
 *
 * Built with OpenMP where the process's torch uses GNU OpenMP (runtime/native.py checks): the
 * batch is shared among `threads` threads of torch's own pool; each thread configures its own
 * tiles and, for the weight gradient, sums into its own scratch, added up at the end.
 */
#if !defined(__AMX_TILE__) || !defined(__AMX_BF16__) || !defined(__AVX512BF16__) \
    || !defined(__AVX512BW__)
#error "AMX-BF16, AVX512-BF16 and AVX512-BW are needed (built with -march=native on such a CPU)"
#endif
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

typedef struct {
    uint8_t palette, start;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

/* Linux lends a process the tiles' state only when asked: 1 once asked and granted */
int ll_conv_amx_ready(void)
{
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

static void configure(void)
{
    tile_config c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    for (int t = 0; t < 8; t++) {
        c.rows[t] = 16;
        c.colsb[t] = 64;
    }
    _tile_loadconfig(&c);
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

static inline void store16_bf16(uint16_t *o, __m512 v)
{
    _mm256_storeu_si256((__m256i *)o, (__m256i)_mm512_cvtneps_pbh(v));
}

static inline __m512 load16_bf16(const uint16_t *p)
{
    return _mm512_castsi512_ps(
        _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}

static void share(int rows, int part, int parts, int *r0, int *r1)
{
    *r0 = (int)((int64_t)rows * part / parts);
    *r1 = (int)((int64_t)rows * (part + 1) / parts);
}

static int this_thread(int *parts)
{
#ifdef _OPENMP
    *parts = omp_get_num_threads();
    return omp_get_thread_num();
#else
    *parts = 1;
    return 0;
#endif
}

/* interleave two rows of 32 values: LO gives a0 b0 a1 b1 .. a15 b15, HI the second halves */
static const uint16_t LO[32] = {0,  32, 1,  33, 2,  34, 3,  35, 4,  36, 5,  37, 6,  38, 7,  39,
                                8,  40, 9,  41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47};
static const uint16_t HI[32] = {16, 48, 17, 49, 18, 50, 19, 51, 20, 52, 21, 53, 22, 54, 23, 55,
                                24, 56, 25, 57, 26, 58, 27, 59, 28, 60, 29, 61, 30, 62, 31, 63};

/* r[i][c] -> r[c][i] for 32 rows of 32 16-bit values: the off-diagonal blocks swapped at each
 * scale, 16 down to 1. SWAP[s][0] picks row i's new values, SWAP[s][1] row i + b's, for the
 * block size b = 16 >> s (index c < 32: row i's value c; 32 + c: row i + b's):
 * SWAP[s][0][c] = c & b ? 32 + c - b : c, SWAP[s][1][c] = c & b ? 32 + c : c + b. */
static const uint16_t SWAP[5][2][32] = {
    {{
          0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15,
         32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47},
     {
         16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
         48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63}},
    {{
          0,  1,  2,  3,  4,  5,  6,  7, 32, 33, 34, 35, 36, 37, 38, 39,
         16, 17, 18, 19, 20, 21, 22, 23, 48, 49, 50, 51, 52, 53, 54, 55},
     {
          8,  9, 10, 11, 12, 13, 14, 15, 40, 41, 42, 43, 44, 45, 46, 47,
         24, 25, 26, 27, 28, 29, 30, 31, 56, 57, 58, 59, 60, 61, 62, 63}},
    {{
          0,  1,  2,  3, 32, 33, 34, 35,  8,  9, 10, 11, 40, 41, 42, 43,
         16, 17, 18, 19, 48, 49, 50, 51, 24, 25, 26, 27, 56, 57, 58, 59},
     {
          4,  5,  6,  7, 36, 37, 38, 39, 12, 13, 14, 15, 44, 45, 46, 47,
         20, 21, 22, 23, 52, 53, 54, 55, 28, 29, 30, 31, 60, 61, 62, 63}},
    {{
          0,  1, 32, 33,  4,  5, 36, 37,  8,  9, 40, 41, 12, 13, 44, 45,
         16, 17, 48, 49, 20, 21, 52, 53, 24, 25, 56, 57, 28, 29, 60, 61},
     {
          2,  3, 34, 35,  6,  7, 38, 39, 10, 11, 42, 43, 14, 15, 46, 47,
         18, 19, 50, 51, 22, 23, 54, 55, 26, 27, 58, 59, 30, 31, 62, 63}},
    {{
          0, 32,  2, 34,  4, 36,  6, 38,  8, 40, 10, 42, 12, 44, 14, 46,
         16, 48, 18, 50, 20, 52, 22, 54, 24, 56, 26, 58, 28, 60, 30, 62},
     {
          1, 33,  3, 35,  5, 37,  7, 39,  9, 41, 11, 43, 13, 45, 15, 47,
         17, 49, 19, 51, 21, 53, 23, 55, 25, 57, 27, 59, 29, 61, 31, 63}}
};

static void transpose32(__m512i *r)
{
    for (int s = 0; s < 5; s++) {
        const int b = 16 >> s;
        const __m512i va = _mm512_loadu_si512(SWAP[s][0]), vb = _mm512_loadu_si512(SWAP[s][1]);
        for (int i = 0; i < 32; i++) {
            if (i & b)
                continue;
            const __m512i u = r[i], v = r[i + b];
            r[i] = _mm512_permutex2var_epi16(u, va, v);
            r[i + b] = _mm512_permutex2var_epi16(u, vb, v);
        }
    }
}

/* ---- shapes shared by the passes ---- */

typedef struct {
    int B, H, W, IC, OC, KH, KW, OH, OW, T, Q, QK, P, PX, LEAD, ROWS;
} shape;

static shape shape_of(int B, int H, int W, int IC, int OC, int KH, int KW)
{
    shape s;
    s.B = B; s.H = H; s.W = W; s.IC = IC; s.OC = OC; s.KH = KH; s.KW = KW;
    s.OH = H - KH + 1;
    s.OW = W - KW + 1;
    s.T = KH * KW;
    s.Q = (s.OH - 1) * W + s.OW;       /* full-width output positions of an image */
    s.QK = (s.Q + 31) / 32 * 32;       /* ... rounded up to the weight pass's 32 */
    s.P = H * W;
    s.LEAD = (KH - 1) * W + KW - 1;    /* the largest tap offset */
    s.PX = (s.LEAD + s.QK + 31) / 32 * 32;  /* xT's row: every position a weight pass reads */
    if (s.PX < (s.P + 31) / 32 * 32)
        s.PX = (s.P + 31) / 32 * 32;
    s.ROWS = s.LEAD + s.P + 32;        /* the full-width gradient with zeros around it */
    return s;
}

static inline int tap_offset(const shape *s, int t) { return (t / s->KW) * s->W + t % s->KW; }

/* 16-row blocks covering n positions, as starts: block i at min(16 i, n - 16), and an even
 * count (the last repeated), so that blocks go two at a time */
static int block_count(int n) { int k = (n + 15) / 16; return k + (k & 1); }
static inline int block_start(int n, int i) { int s = 16 * i; return s + 16 <= n ? s : n - 16; }

/* bytes of per-thread scratch the backward pass needs */
int64_t ll_conv_amx_scratch(int H, int W, int IC, int OC, int KH, int KW)
{
    const shape s = shape_of(1, H, W, IC, OC, KH, KW);
    const int64_t gp = (int64_t)s.ROWS * OC * 2, xt = (int64_t)IC * s.PX * 2,
                  gv = (int64_t)s.QK * OC * 2, acc = (int64_t)s.T * IC * OC * 4 + OC * 4;
    return (gp + 63) / 64 * 64 + (xt + 63) / 64 * 64 + (gv + 63) / 64 * 64 + (acc + 63) / 64 * 64;
}

/* ---- forward ---- */

/* wp[t][kc][ob][16 ic pairs][16 oc][2]: the weight as B tiles, K = 32 input channels */
static void pack_forward(const float *w, const shape *s, uint16_t *wp)
{
    const int KC = s->IC / 32, OB = s->OC / 16;
    for (int t = 0; t < s->T; t++)
    for (int kc = 0; kc < KC; kc++)
    for (int ob = 0; ob < OB; ob++) {
        uint16_t *d = wp + (((int64_t)t * KC + kc) * OB + ob) * 512;
        for (int k2 = 0; k2 < 16; k2++)
        for (int o = 0; o < 16; o++)
        for (int e = 0; e < 2; e++)
            d[(k2 * 16 + o) * 2 + e] =
                bf16_of(w[((int64_t)(ob * 16 + o) * s->IC + kc * 32 + 2 * k2 + e) * s->T + t]);
    }
}

static void forward_images(const uint16_t *x, const uint16_t *wp, const float *bias,
                           const shape *s, uint16_t *out, int n0, int n1)
{
    const int KC = s->IC / 32, OB = s->OC / 16, NQ = block_count(s->Q);
    float buf[4][16][16];
    configure();
    for (int n = n0; n < n1; n++) {
        const uint16_t *xn = x + (int64_t)n * s->P * s->IC;
        for (int qi = 0; qi < NQ; qi += 2) {
            const int qa = block_start(s->Q, qi), qb = block_start(s->Q, qi + 1);
            for (int ob = 0; ob < OB; ob += 2) {
                _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
                for (int t = 0; t < s->T; t++) {
                    const int off = tap_offset(s, t);
                    for (int kc = 0; kc < KC; kc++) {
                        const uint16_t *b = wp + (((int64_t)t * KC + kc) * OB + ob) * 512;
                        _tile_loadd(4, xn + (int64_t)(qa + off) * s->IC + kc * 32, s->IC * 2);
                        _tile_loadd(5, xn + (int64_t)(qb + off) * s->IC + kc * 32, s->IC * 2);
                        _tile_loadd(6, b, 64);
                        _tile_loadd(7, b + 512, 64);
                        _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(1, 4, 7);
                        _tile_dpbf16ps(2, 5, 6); _tile_dpbf16ps(3, 5, 7);
                    }
                }
                _tile_stored(0, buf[0], 64); _tile_stored(1, buf[1], 64);
                _tile_stored(2, buf[2], 64); _tile_stored(3, buf[3], 64);
                for (int half = 0; half < 2; half++) {
                    const int q0 = half ? qb : qa;
                    for (int r = 0; r < 16; r++) {
                        const int q = q0 + r, oh = q / s->W, ow = q % s->W;
                        if (ow >= s->OW)
                            continue;
                        uint16_t *o = out + (((int64_t)n * s->OH + oh) * s->OW + ow) * s->OC;
                        for (int j = 0; j < 2; j++) {
                            const int c = (ob + j) * 16;
                            __m512 v = _mm512_loadu_ps(buf[half * 2 + j][r]);
                            if (bias)
                                v = _mm512_add_ps(v, _mm512_loadu_ps(bias + c));
                            store16_bf16(o + c, v);
                        }
                    }
                }
            }
        }
    }
    _tile_release();
}

/* wp: KH*KW*IC*OC values of the caller's */
void ll_conv_amx_forward(const uint16_t *x, int B, int H, int W, int IC, const float *weight,
                         const float *bias, int OC, int KH, int KW, uint16_t *out, uint16_t *wp,
                         int threads)
{
    const shape s = shape_of(B, H, W, IC, OC, KH, KW);
    pack_forward(weight, &s, wp);
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) if (threads > 1)
#endif
    {
        int parts, n0, n1;
        const int part = this_thread(&parts);
        share(B, part, parts, &n0, &n1);
        if (n1 > n0)
            forward_images(x, wp, bias, &s, out, n0, n1);
    }
    (void)threads;
}

/* ---- backward: the input's gradient ---- */

/* wd[t][kk][ib][16 oc pairs][16 ic][2]: the weight as B tiles, K = 32 output channels */
static void pack_input_grad(const float *w, const shape *s, uint16_t *wd)
{
    const int KK = s->OC / 32, IB = s->IC / 16;
    for (int t = 0; t < s->T; t++)
    for (int kk = 0; kk < KK; kk++)
    for (int ib = 0; ib < IB; ib++) {
        uint16_t *d = wd + (((int64_t)t * KK + kk) * IB + ib) * 512;
        for (int o2 = 0; o2 < 16; o2++)
        for (int i = 0; i < 16; i++)
        for (int e = 0; e < 2; e++)
            d[(o2 * 16 + i) * 2 + e] =
                bf16_of(w[((int64_t)(kk * 32 + 2 * o2 + e) * s->IC + ib * 16 + i) * s->T + t]);
    }
}

static void input_grad_image(const uint16_t *gn, const uint16_t *wd, const shape *s,
                             uint16_t *gin, uint16_t *gp)
{
    const int KK = s->OC / 32, IB = s->IC / 16, NP = block_count(s->P);
    float buf[4][16][16];
    /* the gradient laid out full width after LEAD zero rows, zero where ow >= OW and after */
    memset(gp, 0, sizeof(uint16_t) * (size_t)s->ROWS * s->OC);
    for (int oh = 0; oh < s->OH; oh++)
        memcpy(gp + ((int64_t)s->LEAD + oh * s->W) * s->OC, gn + (int64_t)oh * s->OW * s->OC,
               sizeof(uint16_t) * s->OW * s->OC);
    for (int pi = 0; pi < NP; pi += 2) {
        const int pa = block_start(s->P, pi), pb = block_start(s->P, pi + 1);
        for (int ib = 0; ib < IB; ib += 2) {
            _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
            for (int t = 0; t < s->T; t++) {
                const int off = tap_offset(s, t);
                for (int kk = 0; kk < KK; kk++) {
                    const uint16_t *b = wd + (((int64_t)t * KK + kk) * IB + ib) * 512;
                    _tile_loadd(4, gp + (int64_t)(s->LEAD + pa - off) * s->OC + kk * 32, s->OC * 2);
                    _tile_loadd(5, gp + (int64_t)(s->LEAD + pb - off) * s->OC + kk * 32, s->OC * 2);
                    _tile_loadd(6, b, 64);
                    _tile_loadd(7, b + 512, 64);
                    _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(1, 4, 7);
                    _tile_dpbf16ps(2, 5, 6); _tile_dpbf16ps(3, 5, 7);
                }
            }
            _tile_stored(0, buf[0], 64); _tile_stored(1, buf[1], 64);
            _tile_stored(2, buf[2], 64); _tile_stored(3, buf[3], 64);
            for (int half = 0; half < 2; half++) {
                const int p0 = half ? pb : pa;
                for (int r = 0; r < 16; r++) {
                    uint16_t *o = gin + (int64_t)(p0 + r) * s->IC + ib * 16;
                    store16_bf16(o, _mm512_loadu_ps(buf[half * 2][r]));
                    store16_bf16(o + 16, _mm512_loadu_ps(buf[half * 2 + 1][r]));
                }
            }
        }
    }
}

/* ---- backward: the weight's (and bias's) gradient ---- */

static void weight_grad_image(const uint16_t *xn, const uint16_t *gn, const shape *s,
                              uint16_t *xt, uint16_t *gv, float *acc, float *bacc)
{
    const int IB = s->IC / 16, OB = s->OC / 16;
    /* x transposed, [IC][PX], zero beyond the image */
    for (int cc = 0; cc < s->IC; cc += 32)
        for (int p0 = 0; p0 < s->PX; p0 += 32) {
            __m512i r[32];
            for (int i = 0; i < 32; i++)
                r[i] = p0 + i < s->P ? _mm512_loadu_si512(xn + (int64_t)(p0 + i) * s->IC + cc)
                                     : _mm512_setzero_si512();
            transpose32(r);
            for (int i = 0; i < 32; i++)
                _mm512_storeu_si512(xt + (int64_t)(cc + i) * s->PX + p0, r[i]);
        }
    /* the gradient full width, positions interleaved in pairs: [QK / 2][OC][2], zero where
     * ow >= OW and from Q on; a row of g is a run of OW valid positions */
    const __m512i lo = _mm512_loadu_si512(LO), hi = _mm512_loadu_si512(HI);
    for (int q = 0; q < s->QK; q += 2) {
        const uint16_t *row[2];
        for (int h = 0; h < 2; h++) {
            const int qq = q + h, oh = qq / s->W, ow = qq - oh * s->W;
            row[h] = qq < s->Q && ow < s->OW ? gn + ((int64_t)oh * s->OW + ow) * s->OC : NULL;
        }
        uint16_t *d = gv + (int64_t)q * s->OC;
        for (int c = 0; c < s->OC; c += 32) {
            const __m512i a = row[0] ? _mm512_loadu_si512(row[0] + c) : _mm512_setzero_si512();
            const __m512i b = row[1] ? _mm512_loadu_si512(row[1] + c) : _mm512_setzero_si512();
            _mm512_storeu_si512(d + 2 * c, _mm512_permutex2var_epi16(a, lo, b));
            _mm512_storeu_si512(d + 2 * c + 32, _mm512_permutex2var_epi16(a, hi, b));
        }
    }
    if (bacc) /* the bias's gradient: g summed over the image's positions, 16 channels a time */
        for (int c = 0; c < s->OC; c += 16) {
            __m512 sum = _mm512_loadu_ps(bacc + c);
            for (int64_t p = 0; p < (int64_t)s->OH * s->OW; p++)
                sum = _mm512_add_ps(sum, load16_bf16(gn + p * s->OC + c));
            _mm512_storeu_ps(bacc + c, sum);
        }
    for (int t = 0; t < s->T; t++) {
        const uint16_t *xo = xt + tap_offset(s, t);
        for (int ib = 0; ib < IB; ib += 2)
        for (int ob = 0; ob < OB; ob += 2) {
            float *a = acc + (((int64_t)t * IB + ib) * OB + ob) * 256;  /* [ib][ob] blocks */
            const int64_t nb = (int64_t)OB * 256;                        /* next ib */
            _tile_loadd(0, a, 64); _tile_loadd(1, a + 256, 64);
            _tile_loadd(2, a + nb, 64); _tile_loadd(3, a + nb + 256, 64);
            for (int k = 0; k < s->QK; k += 32) {
                _tile_loadd(4, xo + (int64_t)(ib * 16) * s->PX + k, s->PX * 2);
                _tile_loadd(5, xo + (int64_t)(ib * 16 + 16) * s->PX + k, s->PX * 2);
                _tile_loadd(6, gv + (int64_t)k * s->OC + ob * 32, s->OC * 4);
                _tile_loadd(7, gv + (int64_t)k * s->OC + ob * 32 + 32, s->OC * 4);
                _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(1, 4, 7);
                _tile_dpbf16ps(2, 5, 6); _tile_dpbf16ps(3, 5, 7);
            }
            _tile_stored(0, a, 64); _tile_stored(1, a + 256, 64);
            _tile_stored(2, a + nb, 64); _tile_stored(3, a + nb + 256, 64);
        }
    }
}

/*
 * gi (or NULL): the input's gradient; gw (or NULL): the weight's, gb (or NULL): the bias's.
 * wd: KH*KW*IC*OC values of the caller's; scratch: `threads` times ll_conv_amx_scratch bytes,
 * 64-byte aligned.
 */
void ll_conv_amx_backward(const uint16_t *g, const uint16_t *x, int B, int H, int W, int IC,
                          const float *weight, int OC, int KH, int KW, uint16_t *gi, float *gw,
                          float *gb, uint16_t *wd, uint8_t *scratch, int threads)
{
    const shape s = shape_of(B, H, W, IC, OC, KH, KW);
    const int64_t each = ll_conv_amx_scratch(H, W, IC, OC, KH, KW);
    const int64_t gp_bytes = ((int64_t)s.ROWS * OC * 2 + 63) / 64 * 64,
                  xt_bytes = ((int64_t)IC * s.PX * 2 + 63) / 64 * 64,
                  gv_bytes = ((int64_t)s.QK * OC * 2 + 63) / 64 * 64,
                  acc_values = (int64_t)s.T * IC * OC + OC;
    if (gi)
        pack_input_grad(weight, &s, wd);
    int used = 1;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) if (threads > 1)
#endif
    {
        int parts, n0, n1;
        const int part = this_thread(&parts);
        share(B, part, parts, &n0, &n1);
        uint8_t *mine = scratch + part * each;
        uint16_t *gp = (uint16_t *)mine, *xt = (uint16_t *)(mine + gp_bytes),
                 *gv = (uint16_t *)(mine + gp_bytes + xt_bytes);
        float *acc = (float *)(mine + gp_bytes + xt_bytes + gv_bytes);
        if (gw)
            memset(acc, 0, sizeof(float) * acc_values);
        configure();
        for (int n = n0; n < n1; n++) {
            const uint16_t *gn = g + (int64_t)n * s.OH * s.OW * OC;
            if (gi)
                input_grad_image(gn, wd, &s, gi + (int64_t)n * s.P * IC, gp);
            if (gw)
                weight_grad_image(x + (int64_t)n * s.P * IC, gn, &s, xt, gv, acc,
                                  gb ? acc + (int64_t)s.T * IC * OC : NULL);
        }
        _tile_release();
        if (part == 0)
            used = parts;
    }
    (void)threads;
    if (!gw)
        return;
    float *total = (float *)(scratch + gp_bytes + xt_bytes + gv_bytes);
    for (int p = 1; p < used; p++) {
        const float *other = (const float *)(scratch + p * each + gp_bytes + xt_bytes + gv_bytes);
        for (int64_t k = 0; k < acc_values; k++)
            total[k] += other[k];
    }
    const int IB = IC / 16, OB = OC / 16;
    /* block row r (input channel ib * 16 + r) holds 16 output channels, IC * T apart in gw */
    const __m512i apart = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7,
                                                              6, 5, 4, 3, 2, 1, 0),
                                             _mm512_set1_epi32(IC * s.T));
    for (int t = 0; t < s.T; t++)
    for (int ib = 0; ib < IB; ib++)
    for (int ob = 0; ob < OB; ob++) {
        const float *blk = total + (((int64_t)t * IB + ib) * OB + ob) * 256;
        for (int r = 0; r < 16; r++)
            _mm512_i32scatter_ps(gw + ((int64_t)(ob * 16) * IC + ib * 16 + r) * s.T + t, apart,
                                 _mm512_loadu_ps(blk + r * 16), 4);
    }
    if (gb)
        memcpy(gb, total + (int64_t)s.T * IC * OC, sizeof(float) * OC);
}
