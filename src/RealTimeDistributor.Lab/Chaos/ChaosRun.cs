using System.Diagnostics;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Lab.Chaos;

/// <summary>What one scenario did: the oracle's verdict, how long the system took to converge after the load stopped
/// and, where the scenario takes something away, how long until it worked again (failover).</summary>
public sealed record ScenarioResult(string Scenario, Verdict Verdict, TimeSpan? Convergence, TimeSpan? Failover, long Edits, long EditsRefused,
    long EditsFailed, string? LastEditFailure, long RealTimeRows, TimeSpan Took)
{
    /// <summary>A scenario that could not run to its verdict (a host did not start), with the reason as its violation.</summary>
    public static ScenarioResult Failed(string scenario, string reason, TimeSpan took) =>
        new(scenario, new Verdict(0, 0, 0, 0, [reason]), null, null, 0, 0, 0, null, 0, took);
}

/// <summary>
/// One scenario's run on a <see cref="ChaosSystem"/>: a background load (an edit every <see cref="EditEvery"/>, a real-time
/// interval every <see cref="RealTimeEvery"/>) before, during and after the fault, then the oracle until it passes
/// (converged) or <see cref="SettleTimeout"/> passes (a violation). Scenarios use it to drive bursts, restrict the edits
/// to one table, record a failover time and add violations of their own.
/// </summary>
public sealed class ChaosRun(ChaosSystem system, int seed) : IAsyncDisposable
{
    public static readonly TimeSpan EditEvery = TimeSpan.FromMilliseconds(40);
    public static readonly TimeSpan RealTimeEvery = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(90);

    private readonly SemaphoreSlim _editing = new(1, 1);
    private readonly List<string> _violations = [];
    private HttpClient? _admin;

    public ChaosSystem System => system;

    public EditLoad Edits { get; private set; } = null!;

    public RealTimeLoad RealTime { get; } = new(system.Broker, system.CentralVirtualHost, system.RealTimeSent, seed);

    /// <summary>Only this table is edited from now on (null: every table), for a scenario that needs others quiet.</summary>
    public string? OnlyTable { get; set; }

    /// <summary>Set by a scenario that takes something away: how long until the system worked again.</summary>
    public TimeSpan? Failover { get; set; }

    public string Site => system.Sites[0];

    public string ConfigQueue => Hosting.Topology.Central.DistributorConfigQueue(Site);

    public void Violation(string violation) => _violations.Add(violation);

    public async Task<ScenarioResult> RunAsync(Scenario scenario, TimeSpan load, CancellationToken cancellationToken)
    {
        var took = Stopwatch.StartNew();
        _admin = AdminApiClient.Create(system.Central.Url, TimeSpan.FromSeconds(30), system.AdminKey);
        Edits = new EditLoad(_admin, seed);
        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var background = Task.Run(() => LoadAsync(stopLoad.Token), CancellationToken.None);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken); // the load runs before the fault
            await scenario.InjectAsync(this, cancellationToken);
            await Task.Delay(load, cancellationToken); // and after it
        }
        finally
        {
            // also when the scenario throws (a host it restarted did not start): the load must not outlive the run
            await stopLoad.CancelAsync();
            await background;
        }
        await FlushRealTimeAsync(cancellationToken);
        await system.RestartStoppedAsync(cancellationToken);
        var settling = Stopwatch.StartNew();
        Verdict verdict;
        while (true)
        {
            var (center, replicas, clients) = await system.ProbeAsync();
            verdict = Oracle.Check(center, replicas, clients);
            if (verdict.Passed || settling.Elapsed > SettleTimeout)
            {
                break;
            }
            await Task.Delay(500, cancellationToken);
        }
        var converged = verdict.Passed ? settling.Elapsed : (TimeSpan?)null;
        await scenario.CheckAsync(this, cancellationToken);
        foreach (var host in system.Hosts.Where(h => h.HasExited))
        {
            Violation($"{host.Name} stopped (see {Path.Combine(system.LogFolder, host.Name + ".log")})");
        }
        verdict = _violations.Aggregate(verdict, (v, violation) => v.With(violation));
        return new ScenarioResult(scenario.Name, verdict, converged, Failover, Edits.Accepted, Edits.Refused, Edits.Failed, Edits.LastFailure ?? Edits.LastRefusal, RealTime.Rows, took.Elapsed);
    }

    /// <summary><paramref name="count"/> edits now, one after the other (beside the background load).</summary>
    public async Task BurstAsync(int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            await EditAsync(cancellationToken);
        }
    }

    private async Task EditAsync(CancellationToken cancellationToken)
    {
        await _editing.WaitAsync(cancellationToken);
        try
        {
            await Edits.EditAsync(cancellationToken, OnlyTable);
        }
        finally
        {
            _editing.Release();
        }
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var lastRealTime = Stopwatch.StartNew();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await EditAsync(cancellationToken);
                if (lastRealTime.Elapsed >= RealTimeEvery)
                {
                    lastRealTime.Restart();
                    await RealTime.PublishAsync(cancellationToken);
                }
                await Task.Delay(EditEvery, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is RabbitMQ.Client.Exceptions.RabbitMQClientException or IOException or InvalidOperationException)
            {
                // the broker or the center is down on purpose: the load goes on when it is back
                await Task.Delay(200, CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Real-time batches the load sent without a confirm (the broker was down, or the load stopped mid-publish) may be in
    /// the system all the same: they go again until the broker confirms them, so the oracle knows every row the system may hold.
    /// </summary>
    private async Task FlushRealTimeAsync(CancellationToken cancellationToken)
    {
        var flushing = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await RealTime.FlushAsync(cancellationToken);
                return;
            }
            catch (Exception exception) when (exception is RabbitMQ.Client.Exceptions.RabbitMQClientException or IOException or InvalidOperationException
                && flushing.Elapsed < SettleTimeout)
            {
                await Task.Delay(500, cancellationToken); // the broker is not back yet
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await RealTime.DisposeAsync();
        _admin?.Dispose();
        _editing.Dispose();
    }
}

/// <summary>One fault of the matrix: what it proves, and how it is injected into a running system under load.</summary>
public abstract class Scenario
{
    public abstract string Name { get; }

    /// <summary>One sentence: what passing this scenario proves (docs/reliability.md lists them).</summary>
    public abstract string Proves { get; }

    /// <summary>The scenario runs on a private RabbitMQ node (infra/rabbitmq/node.sh), never on the shared broker.</summary>
    public virtual bool NeedsPrivateBroker => false;

    /// <summary>The center's database is the Patroni cluster of infra/postgres/ha.sh (HAProxy's address), not the shared PostgreSQL.</summary>
    public virtual bool NeedsCentralDatabaseCluster => false;

    public abstract Task InjectAsync(ChaosRun run, CancellationToken cancellationToken);

    /// <summary>Checks of its own after the system settled (the oracle runs for every scenario).</summary>
    public virtual Task CheckAsync(ChaosRun run, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Polls <paramref name="probe"/> until it is true; the time it took, or null after <paramref name="timeout"/>.</summary>
    protected static async Task<TimeSpan?> TimeUntilAsync(Func<Task<bool>> probe, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await probe())
            {
                return clock.Elapsed;
            }
            await Task.Delay(50, cancellationToken);
        }
        return null;
    }
}
