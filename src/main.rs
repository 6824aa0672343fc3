mod cli;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("klue: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
