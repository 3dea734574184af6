;; The SmartModule ABI shared by filter.wat and map.wat: each of those holds one exported
;; transform function, and a module is `(module ABI FUNCTION)` (flv_tests::smartmodules
;; builds it with the `wat` crate).
;;
;; The SmartModule ABI, as the SPU's engine calls it: the module exports `memory`,
;; `alloc(size) -> ptr` (the engine copies the input there) and `filter(ptr, len, version)
;; -> status`; it hands its output back by calling the imported `copy_records(ptr, len)`.
;; Input (a `SmartModuleInput`): base offset (i64), then the records as a byte string
;; (i32 length, then an i32 record count and the records). Output (a `SmartModuleOutput`):
;; the kept records (i32 count, each record as it came in) and no error (one 0 byte).
;; A record: varint length, attributes (1 byte), timestamp delta and offset delta
;; (varints), key (1 byte present flag, then varint length and bytes), value (varint
;; length and bytes), header count (varint). Varints are zigzag, as in the record format.
  (import "env" "copy_records" (func $copy_records (param i32 i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 1024))
  (global $pos (mut i32) (i32.const 0))

  ;; A bump allocator, reset after each call (the engine reads the output before it
  ;; allocates again).
  (func $alloc (export "alloc") (param $size i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.lt_s
              (memory.grow
                (i32.sub
                  (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16))
                  (memory.size)))
              (i32.const 0))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  ;; A big-endian i32 at $p.
  (func $be32 (param $p i32) (result i32)
    (i32.or
      (i32.or
        (i32.shl (i32.load8_u (local.get $p)) (i32.const 24))
        (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 16)))
      (i32.or
        (i32.shl (i32.load8_u offset=2 (local.get $p)) (i32.const 8))
        (i32.load8_u offset=3 (local.get $p)))))

  (func $store_be32 (param $p i32) (param $v i32)
    (i32.store8 (local.get $p) (i32.shr_u (local.get $v) (i32.const 24)))
    (i32.store8 offset=1 (local.get $p) (i32.shr_u (local.get $v) (i32.const 16)))
    (i32.store8 offset=2 (local.get $p) (i32.shr_u (local.get $v) (i32.const 8)))
    (i32.store8 offset=3 (local.get $p) (local.get $v)))

  ;; The zigzag varint at $pos (at most 10 bytes); $pos moves past it.
  (func $varint (result i32)
    (local $acc i64) (local $shift i64) (local $b i32)
    (loop $next
      (local.set $b (i32.load8_u (global.get $pos)))
      (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
      (local.set $acc
        (i64.or (local.get $acc)
          (i64.shl (i64.extend_i32_u (i32.and (local.get $b) (i32.const 127)))
                   (local.get $shift))))
      (local.set $shift (i64.add (local.get $shift) (i64.const 7)))
      (br_if $next
        (i32.and
          (i32.ne (i32.and (local.get $b) (i32.const 128)) (i32.const 0))
          (i64.lt_u (local.get $shift) (i64.const 70)))))
    (i32.wrap_i64
      (i64.xor (i64.shr_u (local.get $acc) (i64.const 1))
               (i64.sub (i64.const 0) (i64.and (local.get $acc) (i64.const 1))))))

  ;; From just after a record's length: moves $pos to its value and returns the value's
  ;; length.
  (func $to_value (result i32)
    (local $klen i32)
    (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
    (drop (call $varint))
    (drop (call $varint))
    (if (i32.load8_u (global.get $pos))
      (then
        (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
        (local.set $klen (call $varint))
        (if (i32.gt_s (local.get $klen) (i32.const 0))
          (then (global.set $pos (i32.add (global.get $pos) (local.get $klen))))))
      (else (global.set $pos (i32.add (global.get $pos) (i32.const 1)))))
    (call $varint))

