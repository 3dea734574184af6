;; A Fluvio SmartModule map in WebAssembly text: it upper-cases the ASCII letters of each
;; record's value (same length, so each record keeps its encoding). It needs abi.wat (the
;; module is `(module ABI THIS)`).
  (func (export "map") (param $ptr i32) (param $len i32) (param $version i32) (result i32)
    (local $size i32) (local $data i32) (local $n i32) (local $i i32) (local $out i32)
    (local $end i32) (local $v i32) (local $vend i32) (local $b i32)
    ;; The records' byte string follows the 8-byte base offset.
    (local.set $size (call $be32 (i32.add (local.get $ptr) (i32.const 8))))
    (local.set $data (i32.add (local.get $ptr) (i32.const 12)))
    (global.set $pos (local.get $data))
    (if (i32.ge_s (local.get $size) (i32.const 4))
      (then
        (local.set $n (call $be32 (global.get $pos)))
        (global.set $pos (i32.add (global.get $pos) (i32.const 4))))
      (else
        ;; No records: the output is an empty list.
        (call $store_be32 (local.get $data) (i32.const 0))
        (local.set $size (i32.const 4))))
    ;; Upper-case each value in place.
    (block $records_done
      (loop $record
        (br_if $records_done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $end (call $varint))
        (local.set $end (i32.add (local.get $end) (global.get $pos)))
        (local.set $vend (call $to_value))
        (local.set $v (global.get $pos))
        (local.set $vend (i32.add (local.get $v) (local.get $vend)))
        (block $mapped
          (loop $byte
            (br_if $mapped (i32.ge_u (local.get $v) (local.get $vend)))
            (local.set $b (i32.load8_u (local.get $v)))
            (if (i32.and (i32.ge_u (local.get $b) (i32.const 97))
                         (i32.le_u (local.get $b) (i32.const 122)))
              (then (i32.store8 (local.get $v) (i32.sub (local.get $b) (i32.const 32)))))
            (local.set $v (i32.add (local.get $v) (i32.const 1)))
            (br $byte)))
        (global.set $pos (local.get $end))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $record)))
    ;; The output: the same records list, then no error.
    (local.set $out (call $alloc (i32.add (local.get $size) (i32.const 1))))
    (memory.copy (local.get $out) (local.get $data) (local.get $size))
    (i32.store8 (i32.add (local.get $out) (local.get $size)) (i32.const 0))
    (call $copy_records (local.get $out) (i32.add (local.get $size) (i32.const 1)))
    (global.set $heap (i32.const 1024))
    (i32.const 0))
