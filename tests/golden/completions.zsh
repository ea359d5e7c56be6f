#compdef closedesk

autoload -U is-at-least

_closedesk() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'::file -- A period snapshot to open (same as `closedesk open FILE`):_files' \
":: :_closedesk_commands" \
"*::: :->closedesk" \
&& ret=0
    case $state in
    (closedesk)
        words=($line[2] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:closedesk-command-$line[2]:"
        case $line[2] in
            (open)
_arguments "${_arguments_options[@]}" : \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'-h[Print help]' \
'--help[Print help]' \
':file -- The snapshot file:_files' \
&& ret=0
;;
(demo)
_arguments "${_arguments_options[@]}" : \
'--out=[Where to write it (default\: your data directory)]:OUT:_files' \
'--scale=[Instead of the Northstar demo, generate a synthetic period with N invoices (about 10 usage events each, N/50 accounts) and a handful of planted mismatches, printed with their keys and variances. Needs --out]:N:_default' \
'--seed=[The seed of the synthetic period\: the same N and seed give the same file contents]:S:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--force[Replace an existing file (its notes and sign-offs are lost)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(import)
_arguments "${_arguments_options[@]}" : \
'--out=[The snapshot file to create]:OUT:_files' \
'(--out --force)--template=[Write header-only CSV files into this directory instead of importing]:DIR:_files' \
'--from=[What DIR holds\: closedesk'\''s CSV files, or Stripe'\''s objects as JSON (docs/import-stripe.md)]:SOURCE:(csv stripe)' \
'--window=[The period'\''s month, YYYY-MM (with --from stripe)]:YYYY-MM:_default' \
'(--from --window --template)--map=[Read another platform'\''s CSV exports in DIR through this rules file (docs/import-map.md)]:RULES:_files' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--force[Replace an existing snapshot file]' \
'-h[Print help]' \
'--help[Print help]' \
'::dir -- The directory holding the CSV files:_files' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'--check[Exit 1 when the period is not clean]' \
'-h[Print help]' \
'--help[Print help]' \
'::file -- The snapshot (default\: the demo period):_files' \
&& ret=0
;;
(reconcile)
_arguments "${_arguments_options[@]}" : \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'--check[Exit 1 when the period is not clean]' \
'--from-source[Recompute every figure from the raw source rows, not the stored aggregates]' \
'-h[Print help]' \
'--help[Print help]' \
'::file -- The snapshot (default\: the demo period):_files' \
&& ret=0
;;
(checklist)
_arguments "${_arguments_options[@]}" : \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
'::file -- The snapshot (default\: the demo period):_files' \
":: :_closedesk__subcmd__checklist_commands" \
"*::: :->checklist" \
&& ret=0

    case $state in
    (checklist)
        words=($line[2] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:closedesk-checklist-command-$line[2]:"
        case $line[2] in
            (set)
_arguments "${_arguments_options[@]}" : \
'--note=[A note to keep with the move]:NOTE:_default' \
'--if-version=[Refuse if the item changed since you read this version (shown by \`checklist\`)]:N:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
':item -- The item number, 1 to 8:_default' \
':status -- pending, in_progress, done or blocked:_default' \
&& ret=0
;;
(note)
_arguments "${_arguments_options[@]}" : \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
':item -- The item number, 1 to 8:_default' \
':text -- The note (may begin with `-`):_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_closedesk__subcmd__checklist__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:closedesk-checklist-help-command-$line[1]:"
        case $line[1] in
            (set)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(note)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(mismatch)
_arguments "${_arguments_options[@]}" : \
'--lane=[Only this lane]:LANE:_default' \
'--severity=[Only this severity\: critical, high, medium or low]:SEVERITY:_default' \
'--status=[Only this status\: open, in_correction, resolved or waived]:STATUS:_default' \
'--owner=[Only mismatches owned by this owner]:OWNER:_default' \
'--if-version=[Refuse if the mismatch changed since you read this version (shown in its detail)]:N:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--rows[With KEY\: the source rows behind its expected and actual figure with their dates, accounts and amounts, their sums, and the comparison that shows the row that differs\: an export'\''s lines by account, a statement'\''s lines against the fees they present, a usage line'\''s billed amount against the rated events on it]' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
'::file -- The snapshot (default\: the demo period). May be left out when a KEY follows:_default' \
'::key -- A mismatch key (`lane\:subject\:check`)\: show its detail and trail, or act on it:_default' \
":: :_closedesk__subcmd__mismatch_commands" \
"*::: :->mismatch" \
&& ret=0

    case $state in
    (mismatch)
        words=($line[3] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:closedesk-mismatch-command-$line[3]:"
        case $line[3] in
            (note)
_arguments "${_arguments_options[@]}" : \
'--if-version=[Refuse if the mismatch changed since you read this version (shown in its detail)]:N:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
':text -- The note (may begin with `-`\: `note "-9.75 is the GL difference"`):_default' \
&& ret=0
;;
(propose)
_arguments "${_arguments_options[@]}" : \
'--amount=[The amount to add (negative to reduce), e.g. 9.75 or -4.52]:AMOUNT:_default' \
'--side=[Which figure it adjusts\: expected or actual]:SIDE:_default' \
'--reason=[Why]:REASON:_default' \
'--reference=[A reference\: ticket, document, source row]:REFERENCE:_default' \
'--if-version=[Refuse if the mismatch changed since you read this version (shown in its detail)]:N:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(accept)
_arguments "${_arguments_options[@]}" : \
'--note=[A note to keep with the decision]:NOTE:_default' \
'--if-version=[Refuse if the mismatch changed since you read this version (shown in its detail)]:N:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
'::id -- The correction'\''s number (default\: the only one awaiting a decision):_default' \
&& ret=0
;;
(reject)
_arguments "${_arguments_options[@]}" : \
'--reason=[Why]:REASON:_default' \
'--if-version=[Refuse if the mismatch changed since you read this version (shown in its detail)]:N:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
'::id -- The correction'\''s number (default\: the only one awaiting a decision):_default' \
&& ret=0
;;
(reverse)
_arguments "${_arguments_options[@]}" : \
'--reason=[Why it is taken back (at least 20 characters)]:REASON:_default' \
'--if-version=[Refuse if the mismatch changed since you read this version (shown in its detail)]:N:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
':id -- The accepted correction'\''s number:_default' \
&& ret=0
;;
(waive)
_arguments "${_arguments_options[@]}" : \
'--reason=[Why it may stay unresolved]:REASON:_default' \
'--if-version=[Refuse if the mismatch changed since you read this version (shown in its detail)]:N:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(assign)
_arguments "${_arguments_options[@]}" : \
'--if-version=[Refuse if the mismatch changed since you read this version (shown in its detail)]:N:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
':owner -- The new owner:_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_closedesk__subcmd__mismatch__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:closedesk-mismatch-help-command-$line[1]:"
        case $line[1] in
            (note)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(propose)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(accept)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(reject)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(reverse)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(waive)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(assign)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(signoff)
_arguments "${_arguments_options[@]}" : \
'--comment=[A comment kept with the sign-off]:COMMENT:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--check[Only list the preconditions and their state; exit 1 when one is not met]' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
'::file -- The snapshot (default\: the demo period):_files' \
&& ret=0
;;
(reopen)
_arguments "${_arguments_options[@]}" : \
'--reason=[Why the period is reopened (at least 20 characters)]:REASON:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
'::file -- The snapshot (default\: the demo period):_files' \
&& ret=0
;;
(verify)
_arguments "${_arguments_options[@]}" : \
'--expect-head=[A head hash kept outside the file — from a sign-off receipt or an export'\''s header (the full hash or its first 12+ hex digits)\: the log must contain it, so a log rewritten with recomputed hashes, or truncated before it, fails]:HASH:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
'::file -- The snapshot (default\: the demo period):_files' \
&& ret=0
;;
(log)
_arguments "${_arguments_options[@]}" : \
'--limit=[Only the newest N rows]:N:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--json[Print JSON for scripts]' \
'-h[Print help]' \
'--help[Print help]' \
'::file -- The snapshot (default\: the demo period):_files' \
&& ret=0
;;
(export)
_arguments "${_arguments_options[@]}" : \
'--kind=[gl, aging, mismatches, packet or workbook]:KIND:_default' \
'--format=[csv or json (gl, aging, mismatches); md, json or pdf (packet); xlsx (workbook)]:FORMAT:_default' \
'--out=[Where to write it; \`-\` for standard output (default\: KIND-PERIOD.EXT here; the packet beside the snapshot as close-packet-PERIOD-draft|signed-HEAD.EXT)]:OUT:_files' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'--force[Replace an existing file]' \
'--by-account[GL\: split the entries the engine has per account by customer account]' \
'--stamp[Add the time of the export to the metadata (the output then differs on each run)]' \
'--json[Print what was written as JSON]' \
'-h[Print help]' \
'--help[Print help]' \
'::file -- The snapshot (default\: the demo period):_files' \
&& ret=0
;;
(serve)
_arguments "${_arguments_options[@]}" : \
'--listen=[Where to listen; anything but loopback must be given here]:ADDR:PORT:_default' \
'--authorized-keys=[Client public keys, one per line with the roster login\: \`ssh-ed25519 AAAA… LOGIN\`]:PATH:_files' \
'--host-key=[The server'\''s private key (default\: closedesk_host_ed25519_key beside FILE; generated with mode 0600 on first start)]:PATH:_files' \
'--max-sessions=[Cockpit sessions open at once, in all]:N:_default' \
'--max-per-key=[Cockpit sessions open at once with one key]:M:_default' \
'--idle-timeout=[Close a session after this long with no key pressed\: 30m, 90s, 1h]:TIME:_default' \
'--max-unauthenticated=[Connections not yet authenticated, in all; over it, a new connection displaces the oldest waiting one]:N:_default' \
'--max-unauthenticated-per-address=[Connections not yet authenticated from one source address; over it, a new one displaces that address'\''s oldest]:N:_default' \
'--login-grace=[Drop a connection not authenticated this long after it was accepted\: 20s, 1m]:TIME:_default' \
'--max-packets=[Close packets each login may keep from served sessions (beside the snapshot, named close-packet-PERIOD-STATE-HEAD-LOGIN-N.md); more are refused until some are moved away]:N:_default' \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'-h[Print help]' \
'--help[Print help]' \
':file -- The snapshot to serve:_files' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'-h[Print help]' \
'--help[Print help]' \
':shell -- The shell:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'--user=[Act as this login (default\: \$CLOSEDESK_USER, the config'\''s \`login\`, then \$USER), looked up in the period'\''s roster]:LOGIN:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_closedesk__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:closedesk-help-command-$line[1]:"
        case $line[1] in
            (open)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(demo)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(import)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(reconcile)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(checklist)
_arguments "${_arguments_options[@]}" : \
":: :_closedesk__subcmd__help__subcmd__checklist_commands" \
"*::: :->checklist" \
&& ret=0

    case $state in
    (checklist)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:closedesk-help-checklist-command-$line[1]:"
        case $line[1] in
            (set)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(note)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(mismatch)
_arguments "${_arguments_options[@]}" : \
":: :_closedesk__subcmd__help__subcmd__mismatch_commands" \
"*::: :->mismatch" \
&& ret=0

    case $state in
    (mismatch)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:closedesk-help-mismatch-command-$line[1]:"
        case $line[1] in
            (note)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(propose)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(accept)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(reject)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(reverse)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(waive)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(assign)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(signoff)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(reopen)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(verify)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(log)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(export)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(serve)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_closedesk_commands] )) ||
_closedesk_commands() {
    local commands; commands=(
'open:Open a period snapshot' \
'demo:Write the built-in demo period (Northstar, 2026-03) to a file' \
'import:Build a period snapshot from one CSV file per source table' \
'status:The period summary\: window, status, headline figures, open mismatches' \
'reconcile:Run every reconciliation step; print every figure and every mismatch' \
'checklist:The close checklist\: the eight items with their evidence; \`set\` moves one' \
'mismatch:Mismatches and the correction lane\: list, detail and trail, note, propose, accept, reject, waive, assign' \
'signoff:Sign the period off (a lead)\: checks every precondition, then locks the period' \
'reopen:Reopen a signed-off period (a lead, with a reason)\: lifts the lock' \
'verify:Check the file and its tamper-evident audit log. Exit 0 ok, 1 with the first problem' \
'log:The audit history of the period, newest first' \
'export:Close outputs\: GL journal, aged AR, mismatch register, close packet (audited)' \
'serve:Serve the cockpit over SSH to reviewers with no shell on this host' \
'completions:Print a shell completion script (bash, zsh, fish, elvish, powershell)' \
'man:Print the man page (roff)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'closedesk commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__checklist_commands] )) ||
_closedesk__subcmd__checklist_commands() {
    local commands; commands=(
'set:Move an item to pending, in_progress, done or blocked' \
'note:Add a note to an item without moving it (it keeps its status and who moved it)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'closedesk checklist commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__checklist__subcmd__help_commands] )) ||
_closedesk__subcmd__checklist__subcmd__help_commands() {
    local commands; commands=(
'set:Move an item to pending, in_progress, done or blocked' \
'note:Add a note to an item without moving it (it keeps its status and who moved it)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'closedesk checklist help commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__checklist__subcmd__help__subcmd__help_commands] )) ||
_closedesk__subcmd__checklist__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk checklist help help commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__checklist__subcmd__help__subcmd__note_commands] )) ||
_closedesk__subcmd__checklist__subcmd__help__subcmd__note_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk checklist help note commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__checklist__subcmd__help__subcmd__set_commands] )) ||
_closedesk__subcmd__checklist__subcmd__help__subcmd__set_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk checklist help set commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__checklist__subcmd__note_commands] )) ||
_closedesk__subcmd__checklist__subcmd__note_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk checklist note commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__checklist__subcmd__set_commands] )) ||
_closedesk__subcmd__checklist__subcmd__set_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk checklist set commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__completions_commands] )) ||
_closedesk__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk completions commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__demo_commands] )) ||
_closedesk__subcmd__demo_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk demo commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__export_commands] )) ||
_closedesk__subcmd__export_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk export commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help_commands] )) ||
_closedesk__subcmd__help_commands() {
    local commands; commands=(
'open:Open a period snapshot' \
'demo:Write the built-in demo period (Northstar, 2026-03) to a file' \
'import:Build a period snapshot from one CSV file per source table' \
'status:The period summary\: window, status, headline figures, open mismatches' \
'reconcile:Run every reconciliation step; print every figure and every mismatch' \
'checklist:The close checklist\: the eight items with their evidence; \`set\` moves one' \
'mismatch:Mismatches and the correction lane\: list, detail and trail, note, propose, accept, reject, waive, assign' \
'signoff:Sign the period off (a lead)\: checks every precondition, then locks the period' \
'reopen:Reopen a signed-off period (a lead, with a reason)\: lifts the lock' \
'verify:Check the file and its tamper-evident audit log. Exit 0 ok, 1 with the first problem' \
'log:The audit history of the period, newest first' \
'export:Close outputs\: GL journal, aged AR, mismatch register, close packet (audited)' \
'serve:Serve the cockpit over SSH to reviewers with no shell on this host' \
'completions:Print a shell completion script (bash, zsh, fish, elvish, powershell)' \
'man:Print the man page (roff)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'closedesk help commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__checklist_commands] )) ||
_closedesk__subcmd__help__subcmd__checklist_commands() {
    local commands; commands=(
'set:Move an item to pending, in_progress, done or blocked' \
'note:Add a note to an item without moving it (it keeps its status and who moved it)' \
    )
    _describe -t commands 'closedesk help checklist commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__checklist__subcmd__note_commands] )) ||
_closedesk__subcmd__help__subcmd__checklist__subcmd__note_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help checklist note commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__checklist__subcmd__set_commands] )) ||
_closedesk__subcmd__help__subcmd__checklist__subcmd__set_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help checklist set commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__completions_commands] )) ||
_closedesk__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help completions commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__demo_commands] )) ||
_closedesk__subcmd__help__subcmd__demo_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help demo commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__export_commands] )) ||
_closedesk__subcmd__help__subcmd__export_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help export commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__help_commands] )) ||
_closedesk__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help help commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__import_commands] )) ||
_closedesk__subcmd__help__subcmd__import_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help import commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__log_commands] )) ||
_closedesk__subcmd__help__subcmd__log_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help log commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__man_commands] )) ||
_closedesk__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help man commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__mismatch_commands] )) ||
_closedesk__subcmd__help__subcmd__mismatch_commands() {
    local commands; commands=(
'note:Add a note to the mismatch'\''s trail' \
'propose:Propose a correction\: an amount added to the expected or actual figure' \
'accept:Accept a proposed correction (a reviewer or lead other than its author)' \
'reject:Reject (send back) a proposed correction; it stays in the trail' \
'reverse:Reverse an accepted correction (a reviewer or lead)\: it no longer counts; it stays in the trail as reversed' \
'waive:Waive the mismatch (a reviewer or lead) with a reason of at least 20 characters' \
'assign:Assign an owner, overriding the lane owner' \
    )
    _describe -t commands 'closedesk help mismatch commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__mismatch__subcmd__accept_commands] )) ||
_closedesk__subcmd__help__subcmd__mismatch__subcmd__accept_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help mismatch accept commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__mismatch__subcmd__assign_commands] )) ||
_closedesk__subcmd__help__subcmd__mismatch__subcmd__assign_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help mismatch assign commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__mismatch__subcmd__note_commands] )) ||
_closedesk__subcmd__help__subcmd__mismatch__subcmd__note_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help mismatch note commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__mismatch__subcmd__propose_commands] )) ||
_closedesk__subcmd__help__subcmd__mismatch__subcmd__propose_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help mismatch propose commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__mismatch__subcmd__reject_commands] )) ||
_closedesk__subcmd__help__subcmd__mismatch__subcmd__reject_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help mismatch reject commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__mismatch__subcmd__reverse_commands] )) ||
_closedesk__subcmd__help__subcmd__mismatch__subcmd__reverse_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help mismatch reverse commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__mismatch__subcmd__waive_commands] )) ||
_closedesk__subcmd__help__subcmd__mismatch__subcmd__waive_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help mismatch waive commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__open_commands] )) ||
_closedesk__subcmd__help__subcmd__open_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help open commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__reconcile_commands] )) ||
_closedesk__subcmd__help__subcmd__reconcile_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help reconcile commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__reopen_commands] )) ||
_closedesk__subcmd__help__subcmd__reopen_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help reopen commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__serve_commands] )) ||
_closedesk__subcmd__help__subcmd__serve_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help serve commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__signoff_commands] )) ||
_closedesk__subcmd__help__subcmd__signoff_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help signoff commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__status_commands] )) ||
_closedesk__subcmd__help__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help status commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__help__subcmd__verify_commands] )) ||
_closedesk__subcmd__help__subcmd__verify_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk help verify commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__import_commands] )) ||
_closedesk__subcmd__import_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk import commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__log_commands] )) ||
_closedesk__subcmd__log_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk log commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__man_commands] )) ||
_closedesk__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk man commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch_commands] )) ||
_closedesk__subcmd__mismatch_commands() {
    local commands; commands=(
'note:Add a note to the mismatch'\''s trail' \
'propose:Propose a correction\: an amount added to the expected or actual figure' \
'accept:Accept a proposed correction (a reviewer or lead other than its author)' \
'reject:Reject (send back) a proposed correction; it stays in the trail' \
'reverse:Reverse an accepted correction (a reviewer or lead)\: it no longer counts; it stays in the trail as reversed' \
'waive:Waive the mismatch (a reviewer or lead) with a reason of at least 20 characters' \
'assign:Assign an owner, overriding the lane owner' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'closedesk mismatch commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__accept_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__accept_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch accept commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__assign_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__assign_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch assign commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__help_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__help_commands() {
    local commands; commands=(
'note:Add a note to the mismatch'\''s trail' \
'propose:Propose a correction\: an amount added to the expected or actual figure' \
'accept:Accept a proposed correction (a reviewer or lead other than its author)' \
'reject:Reject (send back) a proposed correction; it stays in the trail' \
'reverse:Reverse an accepted correction (a reviewer or lead)\: it no longer counts; it stays in the trail as reversed' \
'waive:Waive the mismatch (a reviewer or lead) with a reason of at least 20 characters' \
'assign:Assign an owner, overriding the lane owner' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'closedesk mismatch help commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__help__subcmd__accept_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__help__subcmd__accept_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch help accept commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__help__subcmd__assign_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__help__subcmd__assign_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch help assign commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__help__subcmd__help_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch help help commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__help__subcmd__note_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__help__subcmd__note_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch help note commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__help__subcmd__propose_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__help__subcmd__propose_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch help propose commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__help__subcmd__reject_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__help__subcmd__reject_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch help reject commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__help__subcmd__reverse_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__help__subcmd__reverse_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch help reverse commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__help__subcmd__waive_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__help__subcmd__waive_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch help waive commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__note_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__note_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch note commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__propose_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__propose_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch propose commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__reject_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__reject_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch reject commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__reverse_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__reverse_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch reverse commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__mismatch__subcmd__waive_commands] )) ||
_closedesk__subcmd__mismatch__subcmd__waive_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk mismatch waive commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__open_commands] )) ||
_closedesk__subcmd__open_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk open commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__reconcile_commands] )) ||
_closedesk__subcmd__reconcile_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk reconcile commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__reopen_commands] )) ||
_closedesk__subcmd__reopen_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk reopen commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__serve_commands] )) ||
_closedesk__subcmd__serve_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk serve commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__signoff_commands] )) ||
_closedesk__subcmd__signoff_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk signoff commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__status_commands] )) ||
_closedesk__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk status commands' commands "$@"
}
(( $+functions[_closedesk__subcmd__verify_commands] )) ||
_closedesk__subcmd__verify_commands() {
    local commands; commands=()
    _describe -t commands 'closedesk verify commands' commands "$@"
}

if [ "$funcstack[1]" = "_closedesk" ]; then
    _closedesk "$@"
else
    compdef _closedesk closedesk
fi
