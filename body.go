package browseruse

import (
	"errors"
	"io"
)

// ErrResponseTooLarge is returned when a response body passes the cap set by
// [WithMaxResponseBytes].
var ErrResponseTooLarge = errors.New("browseruse: response body too large")

// maxPrealloc bounds the buffer sized from a declared Content-Length before
// a byte has arrived: a server that declares 63 MiB and sends nothing must
// not cost 63 MiB, nor 2. Honest bodies up to it take one allocation.
const maxPrealloc = 1 << minClassShift // 64 KiB

// hintGrowth is how much a buffer grows at once toward a declared length
// once it is full: the bytes that arrived back the claim, so a large honest
// body takes a few allocations (64 KiB, 512 KiB, 4 MiB, ...) rather than the
// ten of doubling, yet a new buffer is never more than 8 times what arrived
// (10 times, rounded up to its size class).
const hintGrowth = 8

// readBody reads r to the end, failing once it passes limit. hint is the
// declared length: the buffer starts at it, up to maxPrealloc, and grows
// toward it by hintGrowth, so memory follows the bytes that really arrive.
// A buffer of 64 KiB or more comes from the pools of bodybuf.go when one is
// free: taking a buffer already made costs no memory, so for a declared
// length over 64 KiB a free one large enough is taken at once.
func readBody(r io.Reader, limit, hint int64) ([]byte, error) {
	size := int64(512)
	want := limit + 1 // never read or hold more than this
	hinted := hint >= 0 && hint < limit
	var buf []byte
	if hinted {
		want = hint + 1 // +1: room to see EOF without growing
		size = min(want, maxPrealloc)
		if want > maxPrealloc {
			buf = takeBody(int(want))
		}
	}
	if buf == nil {
		buf = newBody(int(size))
	}
	for {
		if len(buf) == cap(buf) {
			// Double, but never past what the body can hold: reading up
			// to the cap then allocates about twice the cap in all, where
			// append's 1.25x growth for large slices would allocate five
			// times it.
			grow := int64(cap(buf))
			if int64(len(buf)) >= want {
				want, hinted = limit+1, false // the body is longer than it said
			}
			if hinted {
				grow *= hintGrowth - 1
			}
			buf = growBody(buf, len(buf)+int(min(grow, want-int64(len(buf)))))
		}
		room := buf[len(buf):cap(buf)]
		if left := limit + 1 - int64(len(buf)); int64(len(room)) > left {
			room = room[:left]
		}
		n, err := r.Read(room)
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			giveBody(buf) // nothing refers to it
			return nil, ErrResponseTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			giveBody(buf)
			return nil, err
		}
	}
}
