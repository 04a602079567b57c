fn main() {
    std::process::exit(synack::cli::main());
}
