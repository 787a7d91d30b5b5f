#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::allpay_altered_answers(data));
