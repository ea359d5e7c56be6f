# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_closedesk_global_optspecs
    string join \n user= h/help V/version
end

function __fish_closedesk_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_closedesk_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_closedesk_using_subcommand
    set -l cmd (__fish_closedesk_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c closedesk -n "__fish_closedesk_needs_command" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c closedesk -n "__fish_closedesk_needs_command" -s V -l version -d 'Print version'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "open" -d 'Open a period snapshot'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "demo" -d 'Write the built-in demo period (Northstar, 2026-03) to a file'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "import" -d 'Build a period snapshot from one CSV file per source table'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "status" -d 'The period summary: window, status, headline figures, open mismatches'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "reconcile" -d 'Run every reconciliation step; print every figure and every mismatch'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "checklist" -d 'The close checklist: the eight items with their evidence; `set` moves one'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "mismatch" -d 'Mismatches and the correction lane: list, detail and trail, note, propose, accept, reject, waive, assign'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "signoff" -d 'Sign the period off (a lead): checks every precondition, then locks the period'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "reopen" -d 'Reopen a signed-off period (a lead, with a reason): lifts the lock'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "verify" -d 'Check the file and its tamper-evident audit log. Exit 0 ok, 1 with the first problem'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "log" -d 'The audit history of the period, newest first'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "export" -d 'Close outputs: GL journal, aged AR, mismatch register, close packet (audited)'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "serve" -d 'Serve the cockpit over SSH to reviewers with no shell on this host'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "man" -d 'Print the man page (roff)'
complete -c closedesk -n "__fish_closedesk_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c closedesk -n "__fish_closedesk_using_subcommand open" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand open" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand demo" -l out -d 'Where to write it (default: your data directory)' -r -F
complete -c closedesk -n "__fish_closedesk_using_subcommand demo" -l scale -d 'Instead of the Northstar demo, generate a synthetic period with N invoices (about 10 usage events each, N/50 accounts) and a handful of planted mismatches, printed with their keys and variances. Needs --out' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand demo" -l seed -d 'The seed of the synthetic period: the same N and seed give the same file contents' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand demo" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand demo" -l force -d 'Replace an existing file (its notes and sign-offs are lost)'
complete -c closedesk -n "__fish_closedesk_using_subcommand demo" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand import" -l out -d 'The snapshot file to create' -r -F
complete -c closedesk -n "__fish_closedesk_using_subcommand import" -l template -d 'Write header-only CSV files into this directory instead of importing' -r -F
complete -c closedesk -n "__fish_closedesk_using_subcommand import" -l from -d 'What DIR holds: closedesk\'s CSV files, or Stripe\'s objects as JSON (docs/import-stripe.md)' -r -f -a "csv\t''
stripe\t''"
complete -c closedesk -n "__fish_closedesk_using_subcommand import" -l window -d 'The period\'s month, YYYY-MM (with --from stripe)' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand import" -l map -d 'Read another platform\'s CSV exports in DIR through this rules file (docs/import-map.md)' -r -F
complete -c closedesk -n "__fish_closedesk_using_subcommand import" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand import" -l force -d 'Replace an existing snapshot file'
complete -c closedesk -n "__fish_closedesk_using_subcommand import" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand status" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand status" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand status" -l check -d 'Exit 1 when the period is not clean'
complete -c closedesk -n "__fish_closedesk_using_subcommand status" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand reconcile" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand reconcile" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand reconcile" -l check -d 'Exit 1 when the period is not clean'
complete -c closedesk -n "__fish_closedesk_using_subcommand reconcile" -l from-source -d 'Recompute every figure from the raw source rows, not the stored aggregates'
complete -c closedesk -n "__fish_closedesk_using_subcommand reconcile" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and not __fish_seen_subcommand_from set note help" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and not __fish_seen_subcommand_from set note help" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and not __fish_seen_subcommand_from set note help" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and not __fish_seen_subcommand_from set note help" -a "set" -d 'Move an item to pending, in_progress, done or blocked'
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and not __fish_seen_subcommand_from set note help" -a "note" -d 'Add a note to an item without moving it (it keeps its status and who moved it)'
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and not __fish_seen_subcommand_from set note help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and __fish_seen_subcommand_from set" -l note -d 'A note to keep with the move' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and __fish_seen_subcommand_from set" -l if-version -d 'Refuse if the item changed since you read this version (shown by `checklist`)' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and __fish_seen_subcommand_from set" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and __fish_seen_subcommand_from set" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and __fish_seen_subcommand_from note" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and __fish_seen_subcommand_from note" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and __fish_seen_subcommand_from note" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and __fish_seen_subcommand_from help" -f -a "set" -d 'Move an item to pending, in_progress, done or blocked'
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and __fish_seen_subcommand_from help" -f -a "note" -d 'Add a note to an item without moving it (it keeps its status and who moved it)'
complete -c closedesk -n "__fish_closedesk_using_subcommand checklist; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -l lane -d 'Only this lane' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -l severity -d 'Only this severity: critical, high, medium or low' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -l status -d 'Only this status: open, in_correction, resolved or waived' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -l owner -d 'Only mismatches owned by this owner' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -l if-version -d 'Refuse if the mismatch changed since you read this version (shown in its detail)' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -l rows -d 'With KEY: the source rows behind its expected and actual figure with their dates, accounts and amounts, their sums, and the comparison that shows the row that differs: an export\'s lines by account, a statement\'s lines against the fees they present, a usage line\'s billed amount against the rated events on it'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -a "note" -d 'Add a note to the mismatch\'s trail'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -a "propose" -d 'Propose a correction: an amount added to the expected or actual figure'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -a "accept" -d 'Accept a proposed correction (a reviewer or lead other than its author)'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -a "reject" -d 'Reject (send back) a proposed correction; it stays in the trail'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -a "reverse" -d 'Reverse an accepted correction (a reviewer or lead): it no longer counts; it stays in the trail as reversed'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -a "waive" -d 'Waive the mismatch (a reviewer or lead) with a reason of at least 20 characters'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -a "assign" -d 'Assign an owner, overriding the lane owner'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and not __fish_seen_subcommand_from note propose accept reject reverse waive assign help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from note" -l if-version -d 'Refuse if the mismatch changed since you read this version (shown in its detail)' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from note" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from note" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from note" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from propose" -l amount -d 'The amount to add (negative to reduce), e.g. 9.75 or -4.52' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from propose" -l side -d 'Which figure it adjusts: expected or actual' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from propose" -l reason -d 'Why' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from propose" -l reference -d 'A reference: ticket, document, source row' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from propose" -l if-version -d 'Refuse if the mismatch changed since you read this version (shown in its detail)' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from propose" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from propose" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from propose" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from accept" -l note -d 'A note to keep with the decision' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from accept" -l if-version -d 'Refuse if the mismatch changed since you read this version (shown in its detail)' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from accept" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from accept" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from accept" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from reject" -l reason -d 'Why' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from reject" -l if-version -d 'Refuse if the mismatch changed since you read this version (shown in its detail)' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from reject" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from reject" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from reject" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from reverse" -l reason -d 'Why it is taken back (at least 20 characters)' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from reverse" -l if-version -d 'Refuse if the mismatch changed since you read this version (shown in its detail)' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from reverse" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from reverse" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from reverse" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from waive" -l reason -d 'Why it may stay unresolved' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from waive" -l if-version -d 'Refuse if the mismatch changed since you read this version (shown in its detail)' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from waive" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from waive" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from waive" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from assign" -l if-version -d 'Refuse if the mismatch changed since you read this version (shown in its detail)' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from assign" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from assign" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from assign" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from help" -f -a "note" -d 'Add a note to the mismatch\'s trail'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from help" -f -a "propose" -d 'Propose a correction: an amount added to the expected or actual figure'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from help" -f -a "accept" -d 'Accept a proposed correction (a reviewer or lead other than its author)'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from help" -f -a "reject" -d 'Reject (send back) a proposed correction; it stays in the trail'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from help" -f -a "reverse" -d 'Reverse an accepted correction (a reviewer or lead): it no longer counts; it stays in the trail as reversed'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from help" -f -a "waive" -d 'Waive the mismatch (a reviewer or lead) with a reason of at least 20 characters'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from help" -f -a "assign" -d 'Assign an owner, overriding the lane owner'
complete -c closedesk -n "__fish_closedesk_using_subcommand mismatch; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c closedesk -n "__fish_closedesk_using_subcommand signoff" -l comment -d 'A comment kept with the sign-off' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand signoff" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand signoff" -l check -d 'Only list the preconditions and their state; exit 1 when one is not met'
complete -c closedesk -n "__fish_closedesk_using_subcommand signoff" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand signoff" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand reopen" -l reason -d 'Why the period is reopened (at least 20 characters)' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand reopen" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand reopen" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand reopen" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand verify" -l expect-head -d 'A head hash kept outside the file — from a sign-off receipt or an export\'s header (the full hash or its first 12+ hex digits): the log must contain it, so a log rewritten with recomputed hashes, or truncated before it, fails' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand verify" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand verify" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand verify" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand log" -l limit -d 'Only the newest N rows' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand log" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand log" -l json -d 'Print JSON for scripts'
complete -c closedesk -n "__fish_closedesk_using_subcommand log" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand export" -l kind -d 'gl, aging, mismatches, packet or workbook' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand export" -l format -d 'csv or json (gl, aging, mismatches); md, json or pdf (packet); xlsx (workbook)' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand export" -l out -d 'Where to write it; `-` for standard output (default: KIND-PERIOD.EXT here; the packet beside the snapshot as close-packet-PERIOD-draft|signed-HEAD.EXT)' -r -F
complete -c closedesk -n "__fish_closedesk_using_subcommand export" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand export" -l force -d 'Replace an existing file'
complete -c closedesk -n "__fish_closedesk_using_subcommand export" -l by-account -d 'GL: split the entries the engine has per account by customer account'
complete -c closedesk -n "__fish_closedesk_using_subcommand export" -l stamp -d 'Add the time of the export to the metadata (the output then differs on each run)'
complete -c closedesk -n "__fish_closedesk_using_subcommand export" -l json -d 'Print what was written as JSON'
complete -c closedesk -n "__fish_closedesk_using_subcommand export" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand serve" -l listen -d 'Where to listen; anything but loopback must be given here' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand serve" -l authorized-keys -d 'Client public keys, one per line with the roster login: `ssh-ed25519 AAAA… LOGIN`' -r -F
complete -c closedesk -n "__fish_closedesk_using_subcommand serve" -l host-key -d 'The server\'s private key (default: closedesk_host_ed25519_key beside FILE; generated with mode 0600 on first start)' -r -F
complete -c closedesk -n "__fish_closedesk_using_subcommand serve" -l max-sessions -d 'Cockpit sessions open at once, in all' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand serve" -l max-per-key -d 'Cockpit sessions open at once with one key' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand serve" -l idle-timeout -d 'Close a session after this long with no key pressed: 30m, 90s, 1h' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand serve" -l max-unauthenticated -d 'Connections not yet authenticated, in all; over it, a new connection displaces the oldest waiting one' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand serve" -l max-unauthenticated-per-address -d 'Connections not yet authenticated from one source address; over it, a new one displaces that address\'s oldest' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand serve" -l login-grace -d 'Drop a connection not authenticated this long after it was accepted: 20s, 1m' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand serve" -l max-packets -d 'Close packets each login may keep from served sessions (beside the snapshot, named close-packet-PERIOD-STATE-HEAD-LOGIN-N.md); more are refused until some are moved away' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand serve" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand serve" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand completions" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand completions" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand man" -l user -d 'Act as this login (default: $CLOSEDESK_USER, the config\'s `login`, then $USER), looked up in the period\'s roster' -r
complete -c closedesk -n "__fish_closedesk_using_subcommand man" -s h -l help -d 'Print help'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "open" -d 'Open a period snapshot'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "demo" -d 'Write the built-in demo period (Northstar, 2026-03) to a file'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "import" -d 'Build a period snapshot from one CSV file per source table'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "status" -d 'The period summary: window, status, headline figures, open mismatches'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "reconcile" -d 'Run every reconciliation step; print every figure and every mismatch'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "checklist" -d 'The close checklist: the eight items with their evidence; `set` moves one'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "mismatch" -d 'Mismatches and the correction lane: list, detail and trail, note, propose, accept, reject, waive, assign'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "signoff" -d 'Sign the period off (a lead): checks every precondition, then locks the period'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "reopen" -d 'Reopen a signed-off period (a lead, with a reason): lifts the lock'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "verify" -d 'Check the file and its tamper-evident audit log. Exit 0 ok, 1 with the first problem'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "log" -d 'The audit history of the period, newest first'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "export" -d 'Close outputs: GL journal, aged AR, mismatch register, close packet (audited)'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "serve" -d 'Serve the cockpit over SSH to reviewers with no shell on this host'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "man" -d 'Print the man page (roff)'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and not __fish_seen_subcommand_from open demo import status reconcile checklist mismatch signoff reopen verify log export serve completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and __fish_seen_subcommand_from checklist" -f -a "set" -d 'Move an item to pending, in_progress, done or blocked'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and __fish_seen_subcommand_from checklist" -f -a "note" -d 'Add a note to an item without moving it (it keeps its status and who moved it)'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and __fish_seen_subcommand_from mismatch" -f -a "note" -d 'Add a note to the mismatch\'s trail'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and __fish_seen_subcommand_from mismatch" -f -a "propose" -d 'Propose a correction: an amount added to the expected or actual figure'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and __fish_seen_subcommand_from mismatch" -f -a "accept" -d 'Accept a proposed correction (a reviewer or lead other than its author)'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and __fish_seen_subcommand_from mismatch" -f -a "reject" -d 'Reject (send back) a proposed correction; it stays in the trail'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and __fish_seen_subcommand_from mismatch" -f -a "reverse" -d 'Reverse an accepted correction (a reviewer or lead): it no longer counts; it stays in the trail as reversed'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and __fish_seen_subcommand_from mismatch" -f -a "waive" -d 'Waive the mismatch (a reviewer or lead) with a reason of at least 20 characters'
complete -c closedesk -n "__fish_closedesk_using_subcommand help; and __fish_seen_subcommand_from mismatch" -f -a "assign" -d 'Assign an owner, overriding the lane owner'
