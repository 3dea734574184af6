;; A Fluvio SmartModule filter in WebAssembly text: it keeps the records whose value
;; contains the byte `a`. It needs abi.wat (the module is `(module ABI THIS)`).
  (func (export "filter") (param $ptr i32) (param $len i32) (param $version i32) (result i32)
    (local $size i32) (local $n i32) (local $i i32) (local $kept i32)
    (local $out i32) (local $w i32) (local $rec i32) (local $end i32)
    (local $v i32) (local $vend i32) (local $hit i32)
    ;; The records' byte string follows the 8-byte base offset.
    (local.set $size (call $be32 (i32.add (local.get $ptr) (i32.const 8))))
    (global.set $pos (i32.add (local.get $ptr) (i32.const 12)))
    (if (i32.ge_s (local.get $size) (i32.const 4))
      (then
        (local.set $n (call $be32 (global.get $pos)))
        (global.set $pos (i32.add (global.get $pos) (i32.const 4)))))
    (local.set $out (call $alloc (i32.add (local.get $size) (i32.const 8))))
    (local.set $w (i32.add (local.get $out) (i32.const 4)))
    (block $records_done
      (loop $record
        (br_if $records_done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $rec (global.get $pos))
        (local.set $end (call $varint))
        (local.set $end (i32.add (local.get $end) (global.get $pos)))
        (local.set $vend (call $to_value))
        (local.set $v (global.get $pos))
        (local.set $vend (i32.add (local.get $v) (local.get $vend)))
        (local.set $hit (i32.const 0))
        (block $scanned
          (loop $byte
            (br_if $scanned (i32.ge_u (local.get $v) (local.get $vend)))
            (if (i32.eq (i32.load8_u (local.get $v)) (i32.const 97))
              (then (local.set $hit (i32.const 1)) (br $scanned)))
            (local.set $v (i32.add (local.get $v) (i32.const 1)))
            (br $byte)))
        (if (local.get $hit)
          (then
            (memory.copy (local.get $w) (local.get $rec)
                         (i32.sub (local.get $end) (local.get $rec)))
            (local.set $w (i32.add (local.get $w) (i32.sub (local.get $end) (local.get $rec))))
            (local.set $kept (i32.add (local.get $kept) (i32.const 1)))))
        (global.set $pos (local.get $end))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $record)))
    (call $store_be32 (local.get $out) (local.get $kept))
    ;; No error.
    (i32.store8 (local.get $w) (i32.const 0))
    (call $copy_records (local.get $out)
                        (i32.sub (i32.add (local.get $w) (i32.const 1)) (local.get $out)))
    (global.set $heap (i32.const 1024))
    (i32.const 0))
