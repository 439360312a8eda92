/** `watchkeeper help`: the usage text, also printed after an unknown command. */

/** The top-level usage text (no trailing newline). */
export const USAGE = `Usage: watchkeeper <command>

Commands:
  serve      Run the bot, the Alertmanager webhook server and the schedules (npm start)
  migrate    Apply database migrations and exit (npm run migrate)
  config     Print the parsed configuration (secrets masked)
  diagnose <namespace>/<kind>/<name> [--rules-only] [--json]
             Diagnose a live workload now (KUBECONFIG); nothing is stored or changed
  diagnose --from-files <alert.json> <objects.yaml|json> [more…] [--rules-only] [--json]
             Diagnose offline from a saved alert and a dump of cluster objects
  export finetune [--out <file.jsonl>]
             Write verified incidents as JSONL (evidence, diagnosis, action, outcome)
  drift diff --desired <folder> --live <objects.yaml|json> [--json]
             Compare manifests with a dump of live objects, offline (exit 1 when drift is found)
  help       This text

Configuration is read from environment variables; see README.md.`;
