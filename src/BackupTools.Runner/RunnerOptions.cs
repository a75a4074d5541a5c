namespace BackupTools.Runner;

/// <summary>What the command line asked for. Parse errors are reported with exit code 64 (EX_USAGE).</summary>
internal sealed record RunnerOptions(string? File, string? Command, IReadOnlyList<string> ScriptArguments, string? ModulePath, bool NoModule, bool NonInteractive, bool Help, string? LogFile = null)
{
    public const int UsageExitCode = 64;

    public const string Usage = """
        btrun — run PowerShell with the BackupTools module, no pwsh needed.

        usage: btrun -File <script.ps1> [script arguments…]
               btrun -Command '<PowerShell>'            (also -c)
        options:
          -Module <path>     BackupTools.psd1 to import (default: $BACKUPTOOLS_MODULE, else found
                             next to the runner or above the current directory)
          -NoModule          do not import the module
          -NonInteractive    never prompt: -Confirm questions are answered No
          -LogFile <path>    append the run's log (start/end, warnings, errors of every BackupTools
                             cmdlet; never secrets) to this file, 0600 (sets $BACKUPTOOLS_LOG_FILE)
          -NoProfile         accepted for compatibility with pwsh (there are no profiles)
          -Help, -?          this text
        exit code: 0 ok; 1 an error was written; N from `exit N`; 130 interrupted; 64 bad usage.
        """;

    public static RunnerOptions Parse(IReadOnlyList<string> args)
    {
        string? file = null, command = null, module = null, logFile = null;
        bool noModule = false, nonInteractive = false, help = false;
        var scriptArgs = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg.ToLowerInvariant())
            {
                case "-file" or "-f" or "--file":
                    file = Value(args, ref i, arg);
                    scriptArgs.AddRange(args.Skip(i + 1));
                    i = args.Count;
                    break;
                case "-command" or "-c" or "--command":
                    command = string.Join(' ', args.Skip(i + 1));
                    if (command.Length == 0) throw new UsageException($"{arg} needs a value.");
                    i = args.Count;
                    break;
                case "-module" or "--module":
                    module = Value(args, ref i, arg);
                    break;
                case "-logfile" or "--log-file":
                    logFile = Value(args, ref i, arg);
                    break;
                case "-nomodule" or "--no-module":
                    noModule = true;
                    break;
                case "-noninteractive" or "--non-interactive":
                    nonInteractive = true;
                    break;
                case "-noprofile" or "-nologo":
                    break;
                case "-help" or "-?" or "--help" or "-h" or "/?":
                    help = true;
                    break;
                default:
                    throw new UsageException($"Unknown option '{arg}'.");
            }
        }
        if (!help && file is null && command is null) throw new UsageException("Give -File <script> or -Command '<text>'.");
        return new RunnerOptions(file, command, scriptArgs, module, noModule, nonInteractive, help, logFile);
    }

    private static string Value(IReadOnlyList<string> args, ref int i, string option)
    {
        if (i + 1 >= args.Count) throw new UsageException($"{option} needs a value.");
        return args[++i];
    }
}

internal sealed class UsageException(string message) : Exception(message);
