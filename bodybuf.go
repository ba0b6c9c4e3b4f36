package browseruse

import (
	"encoding/json"
	"math/bits"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Response bodies of 64 KiB and more are read into buffers that are used
// again by later calls, where nothing handed to the caller can point into
// them: ExecuteSkillAs decodes the body and drops it (see [reusesBody]).
// Without that, a 1 MB result costs a fresh 1 MB buffer a call, which the
// garbage collector must then find and free, on top of the result itself.
//
// Buffers come in size classes, four to each power of two from 64 KiB to
// 8 MiB, so that a body leaves at most a fifth of its buffer unused, and a
// buffer taken for one body fits the next body of about that size. At most
// maxPooledBytes wait to be taken again: a buffer given back past that is
// left to the collector, so a burst of large calls does not leave its
// buffers behind. A buffer not taken again within two collections is left
// to the collector too, as sync.Pool does, so an idle client holds none.
//
// Not sync.Pool itself: its per-CPU slots hide a buffer given back on one
// CPU from a call that runs on another after a collection, which cost a
// quarter of the calls a new buffer when a collection ran every other call
// (a 1 MB result each, at GOGC=100), and it has no bound on what it holds.
const (
	minClassShift  = 16 // 64 KiB, the first class: maxPrealloc
	maxClassShift  = 23 // 8 MiB, the last class: larger bodies are not pooled
	numClasses     = (maxClassShift-minClassShift)*4 + 1
	maxPooledBytes = 32 << 20
)

// bodyPool holds the buffers given back, by class.
var bodyPool struct {
	mu    sync.Mutex
	free  [numClasses][]freeBody // stacks: the last given back is taken first
	bytes int                    // of every buffer in free
	epoch uint32                 // collections seen since the first buffer was given back
	watch sync.Once              // starts watchCollections
}

type freeBody struct {
	b     []byte
	epoch uint32 // bodyPool.epoch when b was given back
}

// givenHook, set by tests, sees every buffer given back, whole: they
// scribble over it, so that a value still pointing into it shows it.
var givenHook atomic.Pointer[func([]byte)]

// sizeClass returns the index and size of the smallest class of at least n
// bytes; ok is false when n is larger than the last class.
func sizeClass(n int) (i, size int, ok bool) {
	if n <= 1<<minClassShift {
		return 0, 1 << minClassShift, true
	}
	if n > 1<<maxClassShift {
		return 0, 0, false
	}
	e := bits.Len(uint(n-1)) - 1 // 1<<e < n <= 1<<(e+1)
	q := (n - 1<<e + 1<<(e-2) - 1) >> (e - 2)
	return (e-minClassShift)*4 + q, 1<<e + q<<(e-2), true
}

// takeBody returns an empty buffer of at least n bytes that was given back,
// or nil if none of that class is free. It never allocates one.
func takeBody(n int) []byte {
	i, _, ok := sizeClass(n)
	if !ok {
		return nil
	}
	bp := &bodyPool
	bp.mu.Lock()
	defer bp.mu.Unlock()
	free := bp.free[i]
	if len(free) == 0 {
		return nil
	}
	b := free[len(free)-1].b
	free[len(free)-1] = freeBody{}
	bp.free[i] = free[:len(free)-1]
	bp.bytes -= cap(b)
	return b
}

// newBody returns an empty buffer of at least n bytes: from 64 KiB on, one
// given back if one is free, else a new one of its class's size, which can
// be given back; a smaller one is allocated to the byte.
func newBody(n int) []byte {
	if n < 1<<minClassShift {
		return make([]byte, 0, n)
	}
	if b := takeBody(n); b != nil {
		return b
	}
	if _, size, ok := sizeClass(n); ok {
		n = size
	}
	return make([]byte, 0, n)
}

// growBody returns buf's bytes in a buffer of at least n bytes, and gives
// buf back.
func growBody(buf []byte, n int) []byte {
	b := append(newBody(n), buf...)
	giveBody(buf)
	return b
}

// giveBody makes buf available to later calls. The caller must hold no
// reference into it afterwards, nor have given one away. A buffer that is
// not of a class's exact size was not made by newBody, and is left alone.
func giveBody(buf []byte) {
	i, size, ok := sizeClass(cap(buf))
	if !ok || size != cap(buf) {
		return
	}
	if h := givenHook.Load(); h != nil {
		(*h)(buf[:cap(buf)])
	}
	bp := &bodyPool
	bp.watch.Do(watchCollections)
	bp.mu.Lock()
	defer bp.mu.Unlock()
	if bp.bytes+size > maxPooledBytes {
		return
	}
	bp.free[i] = append(bp.free[i], freeBody{buf[:0], bp.epoch})
	bp.bytes += size
}

// collected is called after each collection: it leaves to the collector
// the buffers given back before the previous one and not taken since.
func collected() {
	bp := &bodyPool
	bp.mu.Lock()
	defer bp.mu.Unlock()
	bp.epoch++
	for i, free := range bp.free {
		kept := free[:0]
		for _, f := range free {
			if bp.epoch-f.epoch < 2 {
				kept = append(kept, f)
			} else {
				bp.bytes -= cap(f.b)
			}
		}
		clear(free[len(kept):])
		bp.free[i] = kept
	}
}

// watchCollections calls collected after the next collection, and so on
// after each one: the cleanup of an object that nothing refers to runs once
// a collection has found it unreachable, and arms the next one.
func watchCollections() {
	runtime.AddCleanup(new(collection), func(struct{}) {
		collected()
		watchCollections()
	}, struct{}{})
}

// collection is the object whose cleanup marks a collection. It holds a
// pointer so that it is not a tiny allocation, whose cleanup may never run.
type collection struct{ _ *byte }

// reusesBody reports whether an Execute Skill body decoded into T can be
// given back once decoded: nothing decoded may point into it. The client's
// own decoder copies what it keeps (goccy decodes from a copy of its own;
// encoding/json copies every string, number and RawMessage), as
// TestBodyBuffer_NoResultPointsIntoAGivenBuffer checks. A decoder given to
// WithJSONUnmarshal may not (sonic's strings point into its input), nor may
// an UnmarshalJSON or UnmarshalText method of the caller's, which
// encoding/json calls with the bytes of the body: such types keep their
// body, as before.
func reusesBody[T any](p *policy) bool {
	return p.unmarshal == nil && !callsMethods(reflect.TypeFor[T]())
}

var methodsOf sync.Map // reflect.Type -> bool, what callsMethods found

// callsMethods reports whether decoding into t may call an UnmarshalJSON or
// UnmarshalText method other than those of json.RawMessage and time.Time,
// which copy what they keep.
func callsMethods(t reflect.Type) bool {
	if v, ok := methodsOf.Load(t); ok {
		return v.(bool)
	}
	found := reachesMethod(t, map[reflect.Type]bool{})
	methodsOf.Store(t, found)
	return found
}

func reachesMethod(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] || t == reflect.TypeFor[json.RawMessage]() || t == reflect.TypeFor[time.Time]() {
		return false
	}
	seen[t] = true
	for _, m := range []reflect.Type{t, reflect.PointerTo(t)} {
		if m.Implements(unmarshalerType) || m.Implements(textUnmarshalerType) {
			return true
		}
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return reachesMethod(t.Elem(), seen)
	case reflect.Map:
		return reachesMethod(t.Key(), seen) || reachesMethod(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if reachesMethod(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}
