#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::jawali_answers(data));
