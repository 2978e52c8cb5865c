;; A tiny stand-in guest for testing the host without CPython: a core module
;; with the eryx world's canonical-ABI names (wasm-tools 1.243), turned into a
;; component by run_fake_guest.sh (`component embed` + `component new`).
;;
;; execute(code): every line of `code` is `NAME<TAB>ARGS_JSON` (ARGS default
;; `{}`); all the invokes are started at once with the async lowering, then
;; awaited together (callback ABI). The Ok result has one line per call, in
;; order: `ok:<payload>` or `err:<message>`, prefixed by `*` when the host
;; answered immediately (no subtask). A line starting with `&` starts its
;; invoke without ever awaiting it (an abandoned subtask; its line shows
;; `ok:` with no payload). A code starting with `!` traps; one
;; starting with `~` spins forever (timeout test). Each execute reports one
;; trace event (lineno 1, {"type": "line"}).
;; snapshot-state returns the bytes "abc"; restore-state and clear-state are
;; no-ops.
(module
  (import "$root" "[async-lower]invoke" (func $invoke (param i32 i32 i32 i32 i32) (result i32)))
  (import "$root" "report-trace" (func $trace (param i32 i32 i32 i32 i32)))
  (import "$root" "[waitable-set-new]" (func $ws_new (result i32)))
  (import "$root" "[waitable-set-drop]" (func $ws_drop (param i32)))
  (import "$root" "[waitable-join]" (func $join (param i32 i32)))
  (import "$root" "[subtask-drop]" (func $st_drop (param i32)))
  (import "[export]$root" "[task-return]execute" (func $ret_exec (param i32 i32 i32)))
  (import "[export]$root" "[task-return]snapshot-state" (func $ret_snap (param i32 i32 i32)))
  (import "[export]$root" "[task-return]restore-state" (func $ret_restore (param i32 i32 i32)))
  (import "[export]$root" "[task-return]clear-state" (func $ret_clear))

  (memory (export "memory") 64)
  (global $heap (mut i32) (i32.const 65536))
  (global $n (mut i32) (i32.const 0))
  (global $pending (mut i32) (i32.const 0))
  (global $set (mut i32) (i32.const 0))

  (data (i32.const 16) "{\"type\": \"line\"}")
  (data (i32.const 48) "ok:err:")
  (data (i32.const 80) "{}")
  (data (i32.const 96) "abc")

  (func $realloc (export "cabi_realloc")
    (param $old i32) (param $oldsz i32) (param $align i32) (param $new i32) (result i32)
    (local $p i32)
    (local.set $p
      (i32.and
        (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $new)))
    (if (local.get $old)
      (then (memory.copy (local.get $p) (local.get $old) (local.get $oldsz))))
    (local.get $p))

  ;; Start one invoke for the line [start, end) with the tab at $tab (0: none).
  (func $issue (param $start i32) (param $tab i32) (param $end i32)
    (local $slot i32) (local $st i32) (local $nameend i32) (local $aptr i32) (local $alen i32)
    (local $detached i32)
    (local.set $slot (i32.add (i32.const 4096) (i32.mul (global.get $n) (i32.const 16))))
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (if (i32.eq (i32.load8_u (local.get $start)) (i32.const 38))
      (then
        (local.set $detached (i32.const 1))
        (local.set $start (i32.add (local.get $start) (i32.const 1)))))
    (if (local.get $tab)
      (then
        (local.set $nameend (local.get $tab))
        (local.set $aptr (i32.add (local.get $tab) (i32.const 1)))
        (local.set $alen (i32.sub (local.get $end) (local.get $aptr))))
      (else
        (local.set $nameend (local.get $end))
        (local.set $aptr (i32.const 80))
        (local.set $alen (i32.const 2))))
    (local.set $st
      (call $invoke
        (local.get $start) (i32.sub (local.get $nameend) (local.get $start))
        (local.get $aptr) (local.get $alen) (local.get $slot)))
    (if (i32.eq (i32.and (local.get $st) (i32.const 15)) (i32.const 2))
      (then (i32.store offset=12 (local.get $slot) (i32.const 0)))
      (else (if (local.get $detached)
      (then (i32.store offset=12 (local.get $slot) (i32.const 1)))
      (else
        (i32.store offset=12 (local.get $slot) (i32.shr_u (local.get $st) (i32.const 4)))
        (call $join (i32.shr_u (local.get $st) (i32.const 4)) (global.get $set))
        (global.set $pending (i32.add (global.get $pending) (i32.const 1))))))))

  (func $output
    (local $i i32) (local $slot i32) (local $out i32) (local $w i32) (local $len i32)
    (local.set $out (global.get $heap))
    (local.set $w (local.get $out))
    (block $b
      (loop $l
        (br_if $b (i32.ge_u (local.get $i) (global.get $n)))
        (local.set $slot (i32.add (i32.const 4096) (i32.mul (local.get $i) (i32.const 16))))
        (if (i32.eqz (i32.load offset=12 (local.get $slot)))
          (then
            (i32.store8 (local.get $w) (i32.const 42))
            (local.set $w (i32.add (local.get $w) (i32.const 1)))))
        (if (i32.load8_u (local.get $slot))
          (then
            (memory.copy (local.get $w) (i32.const 51) (i32.const 4))
            (local.set $w (i32.add (local.get $w) (i32.const 4))))
          (else
            (memory.copy (local.get $w) (i32.const 48) (i32.const 3))
            (local.set $w (i32.add (local.get $w) (i32.const 3)))))
        (local.set $len (i32.load offset=8 (local.get $slot)))
        (memory.copy (local.get $w) (i32.load offset=4 (local.get $slot)) (local.get $len))
        (local.set $w (i32.add (local.get $w) (local.get $len)))
        (i32.store8 (local.get $w) (i32.const 10))
        (local.set $w (i32.add (local.get $w) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (global.set $heap (local.get $w))
    (call $ret_exec (i32.const 0) (local.get $out) (i32.sub (local.get $w) (local.get $out))))

  (func $maybe_finish (result i32)
    (if (result i32) (global.get $pending)
      (then (i32.or (i32.const 2) (i32.shl (global.get $set) (i32.const 4))))
      (else
        (call $ws_drop (global.get $set))
        (call $output)
        (i32.const 0))))

  (func (export "[async-lift]execute") (param $ptr i32) (param $len i32) (result i32)
    (local $i i32) (local $start i32) (local $tab i32) (local $end i32)
    (if (i32.and (i32.gt_u (local.get $len) (i32.const 0))
                 (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 33)))
      (then unreachable))
    (if (i32.and (i32.gt_u (local.get $len) (i32.const 0))
                 (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 126)))
      (then (loop $spin (br $spin))))
    (global.set $n (i32.const 0))
    (global.set $pending (i32.const 0))
    (global.set $set (call $ws_new))
    (call $trace (i32.const 1) (i32.const 16) (i32.const 16) (i32.const 0) (i32.const 0))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (local.set $start (local.get $ptr))
    (local.set $i (local.get $ptr))
    (block $done
      (loop $scan
        (if (i32.or (i32.ge_u (local.get $i) (local.get $end))
                    (i32.eq (i32.load8_u (local.get $i)) (i32.const 10)))
          (then
            (if (i32.gt_u (local.get $i) (local.get $start))
              (then (call $issue (local.get $start) (local.get $tab) (local.get $i))))
            (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
            (local.set $start (i32.add (local.get $i) (i32.const 1)))
            (local.set $tab (i32.const 0)))
          (else
            (if (i32.and (i32.eqz (local.get $tab))
                         (i32.eq (i32.load8_u (local.get $i)) (i32.const 9)))
              (then (local.set $tab (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (call $maybe_finish))

  (func (export "[callback][async-lift]execute")
    (param $ev i32) (param $h i32) (param $p i32) (result i32)
    (if (i32.and (i32.eq (local.get $ev) (i32.const 1)) (i32.eq (local.get $p) (i32.const 2)))
      (then
        (call $join (local.get $h) (i32.const 0))
        (call $st_drop (local.get $h))
        (global.set $pending (i32.sub (global.get $pending) (i32.const 1)))))
    (call $maybe_finish))

  (func (export "[async-lift]snapshot-state") (result i32)
    (call $ret_snap (i32.const 0) (i32.const 96) (i32.const 3))
    (i32.const 0))
  (func (export "[callback][async-lift]snapshot-state") (param i32 i32 i32) (result i32)
    (i32.const 0))
  (func (export "[async-lift]restore-state") (param i32 i32) (result i32)
    (call $ret_restore (i32.const 0) (i32.const 0) (i32.const 0))
    (i32.const 0))
  (func (export "[callback][async-lift]restore-state") (param i32 i32 i32) (result i32)
    (i32.const 0))
  (func (export "[async-lift]clear-state") (result i32)
    (call $ret_clear)
    (i32.const 0))
  (func (export "[callback][async-lift]clear-state") (param i32 i32 i32) (result i32)
    (i32.const 0))
  (func (export "finalize-preinit"))
)
