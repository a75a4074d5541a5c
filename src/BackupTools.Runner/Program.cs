using BackupTools.Runner;

try
{
    var options = RunnerOptions.Parse(args);
    if (options.Help)
    {
        Console.WriteLine(RunnerOptions.Usage);
        return 0;
    }
    if (options.File != null && !File.Exists(options.File))
    {
        Console.Error.WriteLine($"btrun: script '{options.File}' does not exist.");
        return 1;
    }
    // The module's cmdlets read the log path from the environment, so it reaches them however they are nested.
    if (options.LogFile != null) Environment.SetEnvironmentVariable("BACKUPTOOLS_LOG_FILE", Path.GetFullPath(options.LogFile));
    return new ScriptExecution(options).Run();
}
catch (UsageException e)
{
    Console.Error.WriteLine("btrun: " + e.Message);
    Console.Error.WriteLine(RunnerOptions.Usage);
    return RunnerOptions.UsageExitCode;
}
