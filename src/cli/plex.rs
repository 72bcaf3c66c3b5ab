//! `gatehouse plex token` and `gatehouse plex servers`: the seed's "Retrieve"
//! buttons for `[plex] token` and `[plex] machine_id`.
//!
//! `token` signs the server owner in to plex.tv — username and password read
//! from standard input (two lines), or `--pin` for the PIN flow (needed for
//! accounts made with Google/Facebook, or with two-factor authentication) —
//! and prints the token on standard output. Prompts and the PIN URL go to
//! standard error, so `TOKEN=$(gatehouse plex token --pin)` works.
//! `servers` lists the servers a token sees: name, owned, machineIdentifier.

use std::io::Write;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::config::{Config, Plex};
use crate::sso::plex_tv::{PinState, PlexError, PlexTv};

/// `gatehouse plex …`
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum PlexCommand {
    /// Sign the server owner in to plex.tv and print the token for `[plex] token`
    /// (username and password on two lines of standard input, or --pin).
    Token {
        /// Use the PIN flow: open the printed app.plex.tv URL and approve.
        #[arg(long)]
        pin: bool,
    },
    /// List the servers of the owner's account (name, owned, machineIdentifier)
    /// to fill `[plex] machine_id`.
    Servers {
        /// plex.tv token to use instead of `[plex] token`.
        #[arg(long)]
        token: Option<String>,
    },
}

/// Why a `plex` command failed; one line each, never containing a secret.
#[derive(Debug, thiserror::Error)]
pub enum PlexCliError {
    #[error(transparent)]
    Plex(#[from] PlexError),
    #[error(
        "no Plex token: pass --token or set [plex] token (get one with `gatehouse plex token`)"
    )]
    NoToken,
    #[error(
        "expected the plex.tv username (or e-mail) and the password on two lines of standard input"
    )]
    MissingInput,
    #[error("the PIN expired before it was approved; run `gatehouse plex token --pin` again")]
    PinExpired,
    #[error("the PIN was not approved within {0}; run `gatehouse plex token --pin` again")]
    PinAbandoned(String),
    #[error("cannot read standard input or write the output: {0}")]
    Io(#[from] std::io::Error),
}

/// How the PIN flow polls plex.tv.
#[derive(Debug, Clone, Copy)]
pub struct PinPolling {
    /// Pause between two polls (Organizr: 1 s).
    pub interval: Duration,
    /// Give up after this long (plex.tv PINs live 30 minutes).
    pub give_up_after: Duration,
}

impl Default for PinPolling {
    fn default() -> Self {
        PinPolling {
            interval: Duration::from_secs(1),
            give_up_after: Duration::from_secs(30 * 60),
        }
    }
}

/// Runs a `plex` subcommand on the process's standard input/output.
pub async fn run(cmd: PlexCommand, config: &Config, client_id: &str) -> Result<(), PlexCliError> {
    let mut input = tokio::io::BufReader::new(tokio::io::stdin());
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    run_with(
        cmd,
        &config.plex,
        client_id,
        &mut input,
        &mut Output {
            result: &mut out,
            messages: &mut err,
        },
        PinPolling::default(),
    )
    .await
}

/// Where a command writes: the result (token / table) and the messages
/// (prompts, PIN URL).
pub struct Output<'a> {
    pub result: &'a mut dyn Write,
    pub messages: &'a mut dyn Write,
}

/// [`run`] with explicit input, output and PIN polling (for tests).
pub async fn run_with(
    cmd: PlexCommand,
    plex: &Plex,
    client_id: &str,
    input: &mut (dyn AsyncBufRead + Unpin + Send),
    out: &mut Output<'_>,
    polling: PinPolling,
) -> Result<(), PlexCliError> {
    let client = PlexTv::new(plex, client_id)?;
    match cmd {
        PlexCommand::Token { pin: false } => {
            write!(out.messages, "plex.tv username or e-mail: ")?;
            out.messages.flush()?;
            // On an error, end the prompt's line first so the message stands alone.
            let login = read_line(input).await.inspect_err(|_| {
                let _ = writeln!(out.messages);
            })?;
            write!(out.messages, "plex.tv password: ")?;
            out.messages.flush()?;
            let password = read_line(input).await.inspect_err(|_| {
                let _ = writeln!(out.messages);
            })?;
            writeln!(out.messages)?;
            let account = client.sign_in(&login, &password).await?;
            writeln!(
                out.messages,
                "signed in as {}; put this in [plex] token:",
                account.username
            )?;
            writeln!(out.result, "{}", account.token)?;
        }
        PlexCommand::Token { pin: true } => {
            let token = pin_flow(&client, out, polling).await?;
            writeln!(out.result, "{token}")?;
        }
        PlexCommand::Servers { token } => {
            let token = token
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| plex.token.clone());
            if token.is_empty() {
                return Err(PlexCliError::NoToken);
            }
            let servers = client.servers(&token).await?;
            let rows: Vec<[&str; 3]> = servers
                .iter()
                .map(|s| {
                    [
                        s.name.as_str(),
                        if s.owned { "yes" } else { "no" },
                        s.machine_identifier.as_str(),
                    ]
                })
                .collect();
            write_table(out.result, ["NAME", "OWNED", "MACHINE IDENTIFIER"], &rows)?;
            if servers.is_empty() {
                writeln!(out.messages, "plex.tv lists no server for this account")?;
            }
        }
    }
    Ok(())
}

async fn pin_flow(
    client: &PlexTv,
    out: &mut Output<'_>,
    polling: PinPolling,
) -> Result<String, PlexCliError> {
    let pin = client.create_pin().await?;
    writeln!(
        out.messages,
        "Open this URL, sign in as the server owner and approve:"
    )?;
    writeln!(out.messages, "  {}", client.auth_url(&pin.code))?;
    out.messages.flush()?;
    let deadline = tokio::time::Instant::now() + polling.give_up_after;
    loop {
        match client.check_pin(pin.id).await? {
            PinState::Done(token) => return Ok(token),
            PinState::Expired => return Err(PlexCliError::PinExpired),
            PinState::Pending => {}
        }
        if tokio::time::Instant::now() + polling.interval > deadline {
            let limit = humantime::format_duration(polling.give_up_after).to_string();
            return Err(PlexCliError::PinAbandoned(limit));
        }
        tokio::time::sleep(polling.interval).await;
    }
}

async fn read_line(input: &mut (dyn AsyncBufRead + Unpin + Send)) -> Result<String, PlexCliError> {
    let mut line = String::new();
    input.read_line(&mut line).await?;
    let line = line.trim_end_matches(['\r', '\n']).to_string();
    if line.is_empty() {
        return Err(PlexCliError::MissingInput);
    }
    Ok(line)
}

/// Writes rows as left-aligned columns separated by two spaces.
fn write_table(w: &mut dyn Write, head: [&str; 3], rows: &[[&str; 3]]) -> std::io::Result<()> {
    let mut width = head.map(str::len);
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    for r in std::iter::once(&head).chain(rows) {
        writeln!(
            w,
            "{:<a$}  {:<b$}  {}",
            r[0],
            r[1],
            r[2],
            a = width[0],
            b = width[1]
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_write_table_aligns_columns() {
        let mut buf = Vec::new();
        write_table(
            &mut buf,
            ["NAME", "OWNED", "ID"],
            &[["Big Server", "yes", "m1"], ["x", "no", "m2"]],
        )
        .unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "NAME        OWNED  ID\nBig Server  yes    m1\nx           no     m2\n"
        );
    }

    #[test]
    fn test_plex_command_parses() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct T {
            #[command(subcommand)]
            c: PlexCommand,
        }
        let t = T::try_parse_from(["t", "token", "--pin"]).unwrap();
        assert_eq!(t.c, PlexCommand::Token { pin: true });
        let t = T::try_parse_from(["t", "servers", "--token", "abc"]).unwrap();
        assert_eq!(
            t.c,
            PlexCommand::Servers {
                token: Some("abc".into())
            }
        );
    }
}
