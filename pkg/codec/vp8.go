//go:build cgo

package codec

/*
#cgo pkg-config: vpx
#cgo LDFLAGS: -lyuv
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <libyuv.h>

typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_codec_enc_cfg_t cfg;
	vpx_image_t img;
	int w, h;
	vpx_codec_pts_t pts;
	int tick; // ticks of the 1 ms timebase a frame lasts (see enc_encode)
} enc_t;

// enc_set_fps plans the frames that follow for fps frames a second.
static void enc_set_fps(enc_t *e, int fps) { e->tick = fps > 0 && fps < 1000 ? 1000 / fps : 1; }

static int enc_open(enc_t *e, int w, int h, int kbps, int fps, int threads) {
	if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0)) return -1;
	e->w = w; e->h = h; e->pts = 0;
	enc_set_fps(e, fps);
	e->cfg.g_w = w; e->cfg.g_h = h;
	e->cfg.g_timebase.num = 1; e->cfg.g_timebase.den = 1000;
	e->cfg.rc_target_bitrate = kbps;
	e->cfg.rc_end_usage = VPX_CBR;
	e->cfg.rc_min_quantizer = 4;
	e->cfg.rc_max_quantizer = 56;
	e->cfg.rc_undershoot_pct = 95;
	e->cfg.rc_buf_sz = 1000; e->cfg.rc_buf_initial_sz = 500; e->cfg.rc_buf_optimal_sz = 600;
	e->cfg.g_threads = threads;
	e->cfg.g_lag_in_frames = 0;
	e->cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	e->cfg.kf_mode = VPX_KF_DISABLED;
	e->cfg.g_pass = VPX_RC_ONE_PASS;
	// Profile 3: no loop filter, whole-pixel motion. The loop filter
	// filtered the edges of skipped macroblocks again whenever the
	// quantizer rose (so unchanged text went soft, and a skipped macroblock
	// was not what the viewer had), and cost 5-10 % of a frame's coding;
	// a screen moves by whole pixels. VP8 decoders take profiles 0-3 (RFC
	// 6386; libvpx, ffmpeg and browsers do).
	e->cfg.g_profile = 3;
	if (vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &e->cfg, 0)) return -2;
	vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, 16);
	vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1);
	// No screen-content mode: it skips every macroblock whose source did not
	// change, which is what the active map does already, and so keeps a
	// refine pass of a still screen from sharpening anything.
	vpx_codec_control(&e->ctx, VP8E_SET_TOKEN_PARTITIONS, 2);

	if (!vpx_img_alloc(&e->img, VPX_IMG_FMT_I420, w, h, 16)) { vpx_codec_destroy(&e->ctx); return -3; }
	return 0;
}

// enc_convert converts the w x h rectangle at x,y (all even) of a BGRA
// frame (X11's byte order, libyuv's "ARGB") into the persistent I420 picture.
static void enc_convert(enc_t *e, const uint8_t *bgra, int stride, int x, int y, int w, int h) {
	ARGBToI420(bgra + (size_t)y*stride + (size_t)x*4, stride,
		e->img.planes[0] + y*e->img.stride[0] + x, e->img.stride[0],
		e->img.planes[1] + (y/2)*e->img.stride[1] + x/2, e->img.stride[1],
		e->img.planes[2] + (y/2)*e->img.stride[2] + x/2, e->img.stride[2],
		w, h);
}

// enc_set_active gives the encoder its active map (one byte per
// macroblock, 1 = code it), or with map NULL codes every macroblock again.
static int enc_set_active(enc_t *e, unsigned char *map, int rows, int cols) {
	vpx_active_map_t m = {map, (unsigned)rows, (unsigned)cols};
	return vpx_codec_control(&e->ctx, VP8E_SET_ACTIVEMAP, &m) ? -1 : 0;
}

// enc_encode encodes the persistent I420 picture; the compressed frame is
// copied to out.
static int enc_encode(enc_t *e, int force_key, int min_q, int max_q,
		uint8_t *out, int out_cap, int *out_len, int *is_key) {
	if ((unsigned)min_q != e->cfg.rc_min_quantizer || (unsigned)max_q != e->cfg.rc_max_quantizer) {
		e->cfg.rc_min_quantizer = min_q; e->cfg.rc_max_quantizer = max_q;
		if (vpx_codec_enc_config_set(&e->ctx, &e->cfg)) return -1;
	}
	vpx_enc_frame_flags_t flags = force_key ? VPX_EFLAG_FORCE_KF : 0;
	// libvpx reads the frame rate from the timestamps and gives each frame
	// the bitrate's share for that rate (see VP8Encoder.SetFrameRate).
	if (vpx_codec_encode(&e->ctx, &e->img, e->pts, e->tick, flags, VPX_DL_REALTIME)) return -2;
	e->pts += e->tick;
	const vpx_codec_cx_pkt_t *pkt;
	vpx_codec_iter_t it = NULL;
	*out_len = 0; *is_key = 0;
	while ((pkt = vpx_codec_get_cx_data(&e->ctx, &it)) != NULL) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
		if (*out_len + (int)pkt->data.frame.sz > out_cap) return -3;
		memcpy(out + *out_len, pkt->data.frame.buf, pkt->data.frame.sz);
		*out_len += pkt->data.frame.sz;
		if (pkt->data.frame.flags & VPX_FRAME_IS_KEY) *is_key = 1;
	}
	return 0;
}

static int enc_set_bitrate(enc_t *e, int kbps) {
	e->cfg.rc_target_bitrate = kbps;
	return vpx_codec_enc_config_set(&e->ctx, &e->cfg) ? -1 : 0;
}

static int enc_last_q(enc_t *e) {
	int q = -1;
	return vpx_codec_control(&e->ctx, VP8E_GET_LAST_QUANTIZER_64, &q) ? -1 : q;
}

static int enc_set_intra_cap(enc_t *e, int pct) {
	return vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, pct) ? -1 : 0;
}

static void enc_close(enc_t *e) { vpx_img_free(&e->img); vpx_codec_destroy(&e->ctx); }

typedef struct { vpx_codec_ctx_t ctx; } dec_t;

static int dec_open(dec_t *d, int threads) {
	vpx_codec_dec_cfg_t cfg = {0};
	cfg.threads = threads;
	return vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0) ? -1 : 0;
}

// dec_decode decodes one frame; *img is the decoded picture or NULL.
static int dec_decode(dec_t *d, const uint8_t *data, int len, vpx_image_t **img) {
	if (vpx_codec_decode(&d->ctx, data, len, NULL, 0)) return -1;
	vpx_codec_iter_t it = NULL;
	*img = vpx_codec_get_frame(&d->ctx, &it);
	return 0;
}


// img_to_rgba_changed converts only the 16-row bands of a decoded picture
// that differ from prev (the planes of the picture converted before, w*h
// luma then two (w+1)/2 x (h+1)/2 chroma planes), and updates prev; with
// all set, every band. It returns how many bands it converted.
static int img_to_rgba_changed(vpx_image_t *img, uint8_t *prev, uint8_t *rgba, int stride, int all) {
	int w = img->d_w, h = img->d_h, cw = (w + 1) / 2, ch = (h + 1) / 2, n = 0;
	uint8_t *py = prev, *pu = prev + (size_t)w * h, *pv = pu + (size_t)cw * ch;
	for (int y0 = 0; y0 < h; y0 += 16) {
		int y1 = y0 + 16 < h ? y0 + 16 : h, c0 = y0 / 2, c1 = (y1 + 1) / 2, same = !all;
		for (int y = y0; same && y < y1; y++)
			same = !memcmp(py + (size_t)y * w, img->planes[0] + (size_t)y * img->stride[0], w);
		for (int y = c0; same && y < c1; y++)
			same = !memcmp(pu + (size_t)y * cw, img->planes[1] + (size_t)y * img->stride[1], cw) &&
				!memcmp(pv + (size_t)y * cw, img->planes[2] + (size_t)y * img->stride[2], cw);
		if (same) continue;
		for (int y = y0; y < y1; y++) memcpy(py + (size_t)y * w, img->planes[0] + (size_t)y * img->stride[0], w);
		for (int y = c0; y < c1; y++) {
			memcpy(pu + (size_t)y * cw, img->planes[1] + (size_t)y * img->stride[1], cw);
			memcpy(pv + (size_t)y * cw, img->planes[2] + (size_t)y * img->stride[2], cw);
		}
		I420ToABGR(img->planes[0] + (size_t)y0 * img->stride[0], img->stride[0],
			img->planes[1] + (size_t)c0 * img->stride[1], img->stride[1],
			img->planes[2] + (size_t)c0 * img->stride[2], img->stride[2],
			rgba + (size_t)y0 * stride, stride, w, y1 - y0);
		n++;
	}
	return n;
}

static void dec_close(dec_t *d) { vpx_codec_destroy(&d->ctx); }
*/
import "C"

import (
	"fmt"
	"image"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// VP8Encoder encodes BGRA frames of a fixed size with libvpx in realtime
// mode. It keeps the last frame's I420 picture, so a frame whose changed
// macroblocks are known costs only their conversion, and gives libvpx an
// active map so that unchanged macroblocks cost no coding either. It is
// not safe for concurrent use.
type VP8Encoder struct {
	mu             sync.Mutex
	e              *C.enc_t
	w, h           int
	out            []byte
	primed         bool   // the I420 picture holds a whole frame
	active         []byte // the active map, one byte per macroblock
	mbCols, mbRows int
	convert, code  time.Duration // the last frame's conversion and coding
	mapOn          bool          // libvpx has an active map set
}

// NewVP8Encoder opens an encoder for w x h frames (both even) at kbps,
// its frames planned for fps a second (see SetFrameRate).
func NewVP8Encoder(w, h, kbps, fps int) (*VP8Encoder, error) {
	if w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0 {
		return nil, fmt.Errorf("%w: %dx%d (width and height must be even)", ErrSize, w, h)
	}
	e := (*C.enc_t)(C.calloc(1, C.sizeof_enc_t))
	if rc := C.enc_open(e, C.int(w), C.int(h), C.int(kbps), C.int(fps), C.int(threads())); rc != 0 {
		C.free(unsafe.Pointer(e))
		return nil, fmt.Errorf("codec: open VP8 encoder (%d)", int(rc))
	}
	b := NewBlocks(w, h)
	return &VP8Encoder{e: e, w: w, h: h, out: make([]byte, w*h*3/2+1<<16), active: make([]byte, b.Cols*b.Rows), mbCols: b.Cols, mbRows: b.Rows}, nil
}

// threads is how many threads libvpx encodes and decodes with. Its row
// threads wait for each other by spinning: on 2 cores shared with anything
// else the spinning costs far more than the second thread brings
// (measured here under load, per 1080p frame: encoding a small change 39 ms
// of CPU with 2 threads, 7 ms with one; a whole frame 84 ms against 14 ms;
// decoding a small change 91 ms against 3 ms).
func threads() int {
	if runtime.NumCPU() <= 2 {
		return 1
	}
	return min(runtime.NumCPU(), 4)
}

// Size is the frame size the encoder takes.
func (v *VP8Encoder) Size() (int, int) { return v.w, v.h }

// Encode compresses one whole frame. q selects the quantizer range: Normal
// for motion, Refine for a still screen that should become sharp.
func (v *VP8Encoder) Encode(f *Frame, forceKey bool, q Quality) (data []byte, key bool, err error) {
	return v.EncodeChanged(f, nil, forceKey, q)
}

// EncodeChanged compresses a frame of which only the macroblocks in
// changed differ from the frame encoded before (nil: all of them): only
// those are converted and coded, the others are skipped and stay exactly
// as the decoder has them. A keyframe and the first frame are always whole.
func (v *VP8Encoder) EncodeChanged(f *Frame, changed *Blocks, forceKey bool, q Quality) (data []byte, key bool, err error) {
	if f.Rect.Dx() < v.w || f.Rect.Dy() < v.h || f.Rect.Dx() > v.w+1 || f.Rect.Dy() > v.h+1 {
		return nil, false, fmt.Errorf("%w: frame %v, encoder %dx%d", ErrSize, f.Rect.Size(), v.w, v.h)
	}
	if changed != nil && (changed.Cols*changed.Rows != len(v.active) || changed.Cols*BlockSize < v.w) {
		return nil, false, fmt.Errorf("%w: a change map of %dx%d macroblocks for a %dx%d frame", ErrSize, changed.Cols, changed.Rows, v.w, v.h)
	}
	minQ, maxQ := 4, 56
	if q == Refine {
		minQ, maxQ = 0, 8
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	pix := (*C.uint8_t)(unsafe.Pointer(&f.Pix[0]))
	t0 := time.Now()
	whole := forceKey || !v.primed || changed == nil || changed.Full()
	if whole {
		C.enc_convert(v.e, pix, C.int(f.Stride), 0, 0, C.int(v.w), C.int(v.h))
		if v.mapOn {
			if C.enc_set_active(v.e, nil, C.int(v.mbRows), C.int(v.mbCols)) != 0 {
				return nil, false, fmt.Errorf("codec: clearing the VP8 active map failed")
			}
			v.mapOn = false
		}
	} else {
		for _, r := range changed.Rects(v.w, v.h) {
			C.enc_convert(v.e, pix, C.int(f.Stride), C.int(r.Min.X), C.int(r.Min.Y), C.int(r.Dx()), C.int(r.Dy()))
		}
		for i := range v.active {
			v.active[i] = 0
			if changed.on[i] {
				v.active[i] = 1
			}
		}
		if C.enc_set_active(v.e, (*C.uchar)(unsafe.Pointer(&v.active[0])), C.int(changed.Rows), C.int(changed.Cols)) != 0 {
			return nil, false, fmt.Errorf("codec: VP8 refused an active map of %dx%d macroblocks", changed.Cols, changed.Rows)
		}
		v.mapOn = true
	}
	t1 := time.Now()
	var n, isKey C.int
	fk := C.int(0)
	if forceKey {
		fk = 1
	}
	rc := C.enc_encode(v.e, fk, C.int(minQ), C.int(maxQ), (*C.uint8_t)(unsafe.Pointer(&v.out[0])), C.int(len(v.out)), &n, &isKey)
	if rc != 0 {
		return nil, false, fmt.Errorf("codec: VP8 encode failed (%d)", int(rc))
	}
	v.primed = true
	v.convert, v.code = t1.Sub(t0), time.Since(t1)
	return append([]byte(nil), v.out[:n]...), isKey != 0, nil
}

// Timing reports how long the last frame's colour conversion and coding took.
func (v *VP8Encoder) Timing() (convert, code time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.convert, v.code
}

// SetBitrate changes the target bitrate.
func (v *VP8Encoder) SetBitrate(kbps int) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if C.enc_set_bitrate(v.e, C.int(kbps)) != 0 {
		return fmt.Errorf("codec: set bitrate %d kbit/s failed", kbps)
	}
	return nil
}

// Quantizer is the quantizer (0-63) libvpx coded the last frame at; -1
// when it does not tell.
func (v *VP8Encoder) Quantizer() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return int(C.enc_last_q(v.e))
}

// SetFrameRate sets the frame rate libvpx plans each frame's share of the
// bitrate for, from the next frame on (the encoder opens with the rate it
// was given). libvpx reads the rate from the timestamps, and a frame that
// takes more than its share pushes the next ones to a coarser quantizer.
// Planned for the frame-rate cap, frames fill the bitrate: text typed at 8
// Mbit/s comes out at a mean quantizer of 4.5 instead of 41 (screenbench's
// typing, for 8.5 KB/s instead of 7.2). Planned for a rate far above any
// real one (1000), every frame gets a sliver and comes out at the coarsest
// quantizer the range allows, as small as it can be: what a congested link
// needs, where frames that fill the estimate lose packets (on a 1 Mbit/s
// link, twice the losses: 6.4-11.6 % of packets against 3.2-4.4 %).
func (v *VP8Encoder) SetFrameRate(fps int) error {
	if fps <= 0 {
		return fmt.Errorf("codec: frame rate %d", fps)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	C.enc_set_fps(v.e, C.int(fps))
	return nil
}

// SetKeyframeCap limits a keyframe to pct percent of an average frame's
// bits (0: no limit). On a slow link an uncapped keyframe would not get
// through before the next one is asked for.
func (v *VP8Encoder) SetKeyframeCap(pct int) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if C.enc_set_intra_cap(v.e, C.int(pct)) != 0 {
		return fmt.Errorf("codec: keyframe cap %d%% refused", pct)
	}
	return nil
}

// Close frees the encoder.
func (v *VP8Encoder) Close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.e != nil {
		C.enc_close(v.e)
		C.free(unsafe.Pointer(v.e))
		v.e = nil
	}
}

// VP8Decoder decodes VP8 frames to RGBA images.
type VP8Decoder struct {
	d    *C.dec_t
	prev []byte      // the planes of the picture converted last, in C memory
	last *image.RGBA // the image they were converted into
	// Bands counts the 16-row bands converted to RGBA by the last Decode.
	Bands int
}

// NewVP8Decoder opens a decoder.
func NewVP8Decoder() (*VP8Decoder, error) {
	d := (*C.dec_t)(C.calloc(1, C.sizeof_dec_t))
	if C.dec_open(d, C.int(threads())) != 0 {
		C.free(unsafe.Pointer(d))
		return nil, fmt.Errorf("codec: open VP8 decoder")
	}
	return &VP8Decoder{d: d}, nil
}

// Decode decodes one compressed frame into dst (reallocated when the size
// changed) and returns it; nil when the frame produced no picture. When dst
// is the image the last Decode returned, left as it was, only the rows
// that changed are converted into it again. A frame
// larger than MaxDimension either way is refused with ErrSize, before
// libvpx sees it when it is a keyframe.
func (v *VP8Decoder) Decode(data []byte, dst *image.RGBA) (*image.RGBA, error) {
	if len(data) == 0 {
		return nil, ErrCorrupt
	}
	if err := CheckVP8Size(data); err != nil {
		return nil, err
	}
	var img *C.vpx_image_t
	if C.dec_decode(v.d, (*C.uint8_t)(unsafe.Pointer(&data[0])), C.int(len(data)), &img) != 0 {
		return nil, ErrCorrupt
	}
	if img == nil {
		return nil, nil
	}
	w, h := int(img.d_w), int(img.d_h)
	if w > MaxDimension || h > MaxDimension {
		return nil, fmt.Errorf("%w: %dx%d is larger than %dx%d", ErrSize, w, h, MaxDimension, MaxDimension)
	}
	if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		dst = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	// Only the bands that changed since the picture converted into dst
	// before (most of a screen stays as it was).
	need := w*h + 2*((w+1)/2)*((h+1)/2)
	all := dst != v.last || len(v.prev) != need
	if len(v.prev) != need {
		v.freePrev()
		v.prev = unsafe.Slice((*byte)(C.malloc(C.size_t(need))), need)
	}
	v.Bands = int(C.img_to_rgba_changed(img, (*C.uint8_t)(unsafe.Pointer(&v.prev[0])), (*C.uint8_t)(unsafe.Pointer(&dst.Pix[0])), C.int(dst.Stride), cbool(all)))
	v.last = dst
	return dst, nil
}

func (v *VP8Decoder) freePrev() {
	if v.prev != nil {
		C.free(unsafe.Pointer(&v.prev[0]))
		v.prev = nil
	}
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// Close frees the decoder.
func (v *VP8Decoder) Close() {
	v.freePrev()
	if v.d != nil {
		C.dec_close(v.d)
		C.free(unsafe.Pointer(v.d))
		v.d = nil
	}
}
