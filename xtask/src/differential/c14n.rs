pub(crate) fn run(_: &std::path::Path, _: &[String]) -> super::Result {
    Err("todo".into())
}
