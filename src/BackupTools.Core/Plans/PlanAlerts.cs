using BackupTools.Core.Alerts;
using BackupTools.Core.Operations;

namespace BackupTools.Core.Plans;

/// <summary>
/// Sends a plan run's outcome to the plan's alert channels: one message per channel per run, failures first with
/// step, source and error. Channels marked onFailureOnly (the default) hear only about failures, and only when
/// there are some; the local alert log always gets the whole run. A failing channel is reported, never fatal.
/// </summary>
public static class PlanAlerts
{
    public static IReadOnlyList<AlertResult> Send(BackupPlanDefinition plan, IReadOnlyList<PlanSourceResult> sources, IReadOnlyList<string> planFailures,
        IOperationObserver observer, CancellationToken cancel)
    {
        var events = sources.Select(Event).Concat(planFailures.Where(f => !sources.Any(s => f.StartsWith($"{s.Cell}/{s.Source} ", StringComparison.Ordinal)))
            .Select(f => new AlertEvent { Outcome = AlertOutcome.Failed, Kind = "Plan", Step = f.Split(':')[0], Summary = f })).ToList();
        var all = new AlertBatch(events);
        var failuresOnly = new AlertBatch(events.Where(e => e.IsFailure));
        // A kind the registry does not know fails as itself: it is never sent as some other kind.
        var results = plan.Alerts.Where(a => AlertChannelRegistry.Find(a.Kind) is null).Select(a => UnknownKind(a, all)).ToList();
        var known = plan.Alerts.Where(a => AlertChannelRegistry.Find(a.Kind) is not null).ToList();
        var dispatcher = new AlertDispatcher(observer);
        var everything = known.Where(a => !a.OnFailureOnly).Select(a => Channel(a, observer)).OfType<IAlertChannel>().ToList();
        var onFailure = known.Where(a => a.OnFailureOnly).Select(a => Channel(a, observer)).OfType<IAlertChannel>().ToList();
        results.AddRange(dispatcher.Send(all, everything, AlertLog.DefaultPath(), TimeSpan.FromSeconds(30), cancel));
        if (failuresOnly.Events.Count > 0 && onFailure.Count > 0)
            results.AddRange(dispatcher.Send(failuresOnly, onFailure, AlertLog.DefaultPath(), TimeSpan.FromSeconds(30), cancel));
        return results;
    }

    private static AlertEvent Event(PlanSourceResult r) => r.Succeeded
        ? new AlertEvent { Outcome = AlertOutcome.Succeeded, Kind = "Backup", Cell = r.Cell, Source = r.Source, BackupId = r.BackupId, Summary = $"{r.Cell}/{r.Source}: backed up {r.BackupId}{(r.CopiedTo.Length > 0 ? ", copied to " + string.Join(", ", r.CopiedTo) : "")}" }
        : new AlertEvent { Outcome = AlertOutcome.Failed, Kind = "Backup", Cell = r.Cell, Source = $"{r.Cell}/{r.Source}", Step = r.FailedStep, ErrorId = r.ErrorId, Error = r.Error, BackupId = r.BackupId, Summary = $"{r.Cell}/{r.Source}: {r.FailedStep} failed" };

    private static AlertResult UnknownKind(PlanAlertChannel a, AlertBatch batch)
    {
        var error = AlertChannelRegistry.UnknownKind(a.Kind);
        return new AlertResult
        {
            Name = a.Name, Channel = a.Kind, Target = "", Sent = false, Tries = 0, Events = batch.Events.Count, Failures = batch.FailedCount,
            Error = $"{error.ErrorId}: {error.Message} {error.RecommendedAction}", Duration = TimeSpan.Zero,
        };
    }

    /// <summary>
    /// A plan channel made by the channel registry, its secrets resolved; one whose secret is missing is skipped with a
    /// warning.
    /// </summary>
    private static IAlertChannel? Channel(PlanAlertChannel a, IOperationObserver observer)
    {
        var kind = AlertChannelRegistry.Kind(a.Kind);
        try
        {
            return kind.Create(new AlertChannelSettings
            {
                Name = a.Name,
                Url = a.Url is null ? null : new Uri(SecretResolver.Resolve(a.Url, "alerts.url")!),
                SigningSecret = SecretResolver.Resolve(a.Secret, "alerts.secret"),
                Smtp = !kind.UsesSmtp ? null : new SmtpSettings
                {
                    Server = a.SmtpServer!, Port = a.SmtpPort, From = a.From!, To = a.To, UserName = a.User,
                    Password = SecretResolver.Resolve(a.Password, "alerts.password"), UseStartTls = a.StartTls,
                },
            });
        }
        catch (Exception e) when (e is Errors.BackupToolsException or UriFormatException or ArgumentException)
        {
            observer.Warning($"Alert channel {a.Name} ({a.Kind}) skipped: {e.Message}");
            return null;
        }
    }
}
