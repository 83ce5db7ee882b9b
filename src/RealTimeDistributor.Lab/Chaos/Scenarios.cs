using System.Text.Json;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Lab.Chaos;

/// <summary>Every scenario of the fault matrix, by name, in the order `rtd-lab chaos --all` runs them.</summary>
public static class Scenarios
{
    public static readonly IReadOnlyList<Scenario> All =
    [
        new KillActiveDistributor(), new PauseActiveDistributor(), new PauseActiveDistributorBriefly(), new KillStandbyDistributor(), new KillCenter(),
        new CentralKilled(), new CentralPaused(), new KillClient(), new SplitStreams(), new DuplicateDeliveries(), new ClientQueueOverflow(),
        new QuietResync(), new ReplicaRecreated(), new ReplicaReadOnly(), new HostileMessages(),
        new FlakyLink(), new BrokerRestart(), new CentralDatabasePrimaryKilled(),
    ];

    public static Scenario Named(string name) => All.FirstOrDefault(s => s.Name == name)
        ?? throw new UsageException($"--scenario is '{name}': use one of {string.Join(", ", All.Select(s => s.Name))}");
}

internal sealed class KillActiveDistributor : Scenario
{
    public override string Name => "kill-active-distributor";

    public override string Proves => "the standby takes over the site's queues after a SIGKILL of the active instance, nothing lost or applied twice";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var active = await run.System.ActiveInstanceAsync(run.Site, run.ConfigQueue) ?? "a";
        await run.System.Distributors[run.Site][active].KillAsync();
        var applied = await run.System.AppliedAsync(run.Site);
        // the load goes on: the first change applied after the kill is the standby's
        run.Failover = await TimeUntilAsync(async () => await run.System.AppliedAsync(run.Site) > applied, TimeSpan.FromSeconds(60), cancellationToken);
        if (run.Failover is null)
        {
            run.Violation("no change was applied within 60 s of killing the active distributor");
        }
        await run.System.RestartStoppedAsync(cancellationToken);
    }
}

internal sealed class PauseActiveDistributor : Scenario
{
    /// <summary>Ten leases (3 s): far past the moment the standby takes the lease over.</summary>
    public static readonly TimeSpan Freeze = TimeSpan.FromSeconds(30);

    public override string Name => "pause-active-distributor";

    public override string Proves => "a SIGSTOP of the active instance longer than its lease: the standby closes the frozen one's central connections "
        + "and applies while it is still frozen; woken, it stands by, nothing applied twice or published under its old epoch";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var active = await run.System.ActiveInstanceAsync(run.Site, run.ConfigQueue) ?? "a";
        var frozen = run.System.Distributors[run.Site][active];
        await frozen.PauseAsync();
        try
        {
            var applied = await run.System.AppliedAsync(run.Site);
            // the load goes on: a change applied now is the standby's (before issue 23 nothing was, until the frozen one woke)
            run.Failover = await TimeUntilAsync(async () => await run.System.AppliedAsync(run.Site) > applied, Freeze, cancellationToken);
            if (run.Failover is null)
            {
                run.Violation($"no change was applied in the {Freeze.TotalSeconds:0} s the active distributor was frozen");
            }
        }
        finally
        {
            await frozen.ResumeAsync();
        }
    }
}

internal sealed class PauseActiveDistributorBriefly : Scenario
{
    public override string Name => "pause-active-distributor-briefly";

    public override string Proves => "a SIGSTOP of the active instance for a third of its lease costs a pause, no takeover storm, nothing lost or applied twice";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var active = await run.System.ActiveInstanceAsync(run.Site, run.ConfigQueue) ?? "a";
        var paused = run.System.Distributors[run.Site][active];
        await paused.PauseAsync();
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); // the fault itself: a freeze of this length
        await paused.ResumeAsync();
        await run.BurstAsync(100, cancellationToken);
    }
}

internal sealed class ReplicaReadOnly : Scenario
{
    /// <summary>How long the replica refuses writes (issue 23: a replica failed over, in recovery or restarting).</summary>
    public static readonly TimeSpan ReadOnlyFor = TimeSpan.FromSeconds(20);

    public override string Name => "replica-read-only";

    public override string Proves => $"a replica that refuses writes (25006) for {ReadOnlyFor.TotalSeconds:0} s under load is waited out on both paths: "
        + "nothing parked in the error queues, the newest values win";

    private long _parkedBefore;

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        _parkedBefore = await ParkedAsync(run); // the run's system is shared: an earlier scenario may have parked hostile messages
        await run.System.SetReplicaReadOnlyAsync(run.Site, true);
        try
        {
            await Task.Delay(ReadOnlyFor, cancellationToken); // the fault itself: the load goes on meanwhile
        }
        finally
        {
            await run.System.SetReplicaReadOnlyAsync(run.Site, false);
        }
        var applied = await run.System.AppliedAsync(run.Site);
        run.Failover = await TimeUntilAsync(async () => await run.System.AppliedAsync(run.Site) > applied, TimeSpan.FromSeconds(60), cancellationToken);
        if (run.Failover is null)
        {
            run.Violation("no change was applied within 60 s of the replica taking writes again");
        }
    }

    public override async Task CheckAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        if (await ParkedAsync(run) - _parkedBefore is > 0 and var parked)
        {
            run.Violation($"{parked} message(s) parked in the site's central error queues while the replica was read-only");
        }
    }

    private static async Task<long> ParkedAsync(ChaosRun run)
    {
        var parked = 0L;
        foreach (var queue in new[] { Topology.Central.DistributorConfigQueue(run.Site), Topology.Central.DistributorRealTimeQueue(run.Site) })
        {
            parked += await run.System.Management.MessagesAsync(run.System.CentralVirtualHost, $"{queue}_error");
        }
        return parked;
    }
}

internal sealed class KillStandbyDistributor : Scenario
{
    public override string Name => "kill-standby-distributor";

    public override string Proves => "a SIGKILL of the standby instance costs the active one nothing";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var active = await run.System.ActiveInstanceAsync(run.Site, run.ConfigQueue) ?? "a";
        await run.System.Distributors[run.Site][active == "a" ? "b" : "a"].KillAsync();
        await run.BurstAsync(100, cancellationToken);
        await run.System.RestartStoppedAsync(cancellationToken);
    }
}

internal sealed class KillCenter : Scenario
{
    public override string Name => "kill-center";

    public override string Proves => "a SIGKILL of the central controller mid-burst loses no committed change: the relay resumes from its recorded position";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var burst = run.BurstAsync(400, cancellationToken);
        var before = run.Edits.Accepted;
        await TimeUntilAsync(() => Task.FromResult(run.Edits.Accepted >= before + 100), TimeSpan.FromSeconds(60), cancellationToken);
        await run.System.Central.KillAsync();
        await burst; // the rest of the burst meets a dead center: refused, not committed
        var down = System.Diagnostics.Stopwatch.StartNew();
        await run.System.RestartStoppedAsync(cancellationToken);
        run.Failover = down.Elapsed;
    }
}

/// <summary>Issue 27: SIGKILL of the active one of the two central controllers mid-burst; the standby takes the central lease over.</summary>
internal sealed class CentralKilled : Scenario
{
    public override string Name => "central-killed";

    public override string Proves => "a SIGKILL of the active central controller mid-burst: the standby takes the central lease over, relays every committed change, "
        + "and nothing is lost or applied twice";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var active = await run.System.ActiveCenterAsync();
        if (active is null)
        {
            run.Violation("no central controller holds the central lease");
            return;
        }
        var burst = run.BurstAsync(400, cancellationToken);
        var before = run.Edits.Accepted;
        await TimeUntilAsync(() => Task.FromResult(run.Edits.Accepted >= before + 100), TimeSpan.FromSeconds(60), cancellationToken);
        await active.KillAsync();
        run.Failover = await TimeUntilAsync(async () => await run.System.ActiveCenterAsync() is { } now && now != active, TimeSpan.FromSeconds(60), cancellationToken);
        if (run.Failover is null)
        {
            run.Violation("the standby central controller did not take the lease over within 60 s of the kill");
        }
        await burst; // edits sent to the dead center are refused, not committed
        await run.System.RestartStoppedAsync(cancellationToken);
    }
}

/// <summary>Issue 27: SIGSTOP of the active central controller for twice its lease, then SIGCONT: it must step down and publish nothing.</summary>
internal sealed class CentralPaused : Scenario
{
    /// <summary>The centers' default Central:Lease:Duration.</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);

    public override string Name => "central-paused";

    public override string Proves => "the active central controller frozen for twice its lease: the standby takes over under a new epoch, and the woken one "
        + "steps down and publishes nothing that changes a site";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var active = await run.System.ActiveCenterAsync();
        if (active is null)
        {
            run.Violation("no central controller holds the central lease");
            return;
        }
        var burst = run.BurstAsync(200, cancellationToken);
        await active.PauseAsync();
        var paused = System.Diagnostics.Stopwatch.StartNew();
        run.Failover = await TimeUntilAsync(async () => await run.System.ActiveCenterAsync() is { } now && now != active, TimeSpan.FromSeconds(60), cancellationToken);
        if (run.Failover is null)
        {
            run.Violation("the standby central controller did not take the lease over within 60 s of the pause");
        }
        if (2 * Lease - paused.Elapsed is { Ticks: > 0 } rest)
        {
            await Task.Delay(rest, cancellationToken); // the fault itself: frozen for twice the lease
        }
        await active.ResumeAsync();
        await burst;
        if (await TimeUntilAsync(async () => await ChaosSystem.HoldsCentralLeaseAsync(active) == false, TimeSpan.FromSeconds(30), cancellationToken) is null)
        {
            run.Violation("the woken central controller did not step down");
        }
    }
}

internal sealed class KillClient : Scenario
{
    public override string Name => "kill-client";

    public override string Proves => "a client killed and started again loads a snapshot and follows the stream as if nothing happened";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        await run.System.Clients[0].Process.KillAsync();
        await run.BurstAsync(50, cancellationToken);
        await run.System.RestartStoppedAsync(cancellationToken);
    }
}

internal sealed class SplitStreams : Scenario
{
    public override string Name => "split-streams";

    public override string Proves => "the site's streams are never split across its two instances: when the active instance loses its config "
        + "connection, one instance (the holder of the site lease) is active on both the config and the real-time queue, and the site stream "
        + "stays one ordered, gapless sequence";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        // before the site lease, closing the active instance's config connection handed the config queue to the standby
        // while the first stayed active on the real-time queue: the two streams ran on two instances
        if (await run.System.Management.ActiveConsumerAsync(run.System.CentralVirtualHost, run.ConfigQueue) is { } active)
        {
            await run.System.Management.CloseConnectionAsync(active.Connection);
        }
        var realTimeQueue = Topology.Central.DistributorRealTimeQueue(run.Site);
        string? config = null, realTime = null;
        var both = await TimeUntilAsync(async () =>
        {
            config = await run.System.ActiveInstanceAsync(run.Site, run.ConfigQueue);
            realTime = await run.System.ActiveInstanceAsync(run.Site, realTimeQueue);
            return config is not null && realTime is not null;
        }, TimeSpan.FromSeconds(30), cancellationToken);
        if (both is null)
        {
            run.Violation("no instance was active on both the config and the real-time queue within 30 s of the cut");
        }
        else if (config != realTime)
        {
            run.Violation($"the streams are split: instance {config} is active on the config queue, instance {realTime} on the real-time queue");
        }
        await run.BurstAsync(100, cancellationToken);
    }
}

internal sealed class DuplicateDeliveries : Scenario
{
    public override string Name => "duplicate-deliveries";

    public override string Proves => "configuration changes and real-time batches delivered again (in any order) change nothing and reach no client twice";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var changes = new List<ConfigChanged>();
        await using (var connection = new NpgsqlConnection(run.System.ProbeConnectionString(run.System.CentralDatabase)))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                "SELECT sequence, \"table\", operation, key, row_json::text, committed_at FROM config_change_log ORDER BY sequence DESC LIMIT 300", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var sequence = reader.GetInt64(0);
                changes.Add(new ConfigChanged(sequence, sequence - 1, reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : JsonDocument.Parse(reader.GetString(4)).RootElement, reader.GetFieldValue<DateTimeOffset>(5)));
            }
        }
        var random = new Random(changes.Count);
        var settings = new RabbitMqSettings(run.System.Broker.Host, run.System.Broker.Port, run.System.Broker.User, run.System.Broker.Password,
            false, TimeSpan.FromSeconds(10), run.System.CentralVirtualHost);
        await using var publisher = new ConfirmingPublisher(settings, run.System.CentralVirtualHost, "rtd chaos replay", [Topology.Central.ConfigExchange],
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await publisher.PublishAsync([.. changes.OrderBy(_ => random.Next()).Select(c => new OutgoingMessage(Topology.Central.ConfigExchange,
            Topology.Central.ConfigRoutingKey(c.Table, c.Operation), Json.Serialize(c), $"config-{c.Sequence}"))], cancellationToken);
        // real-time batches sent before: their versions are older than what the replicas hold now
        await run.RealTime.SendAsync([.. run.RealTime.LastSent(100).OrderBy(_ => random.Next())], cancellationToken);
    }
}

internal sealed class ClientQueueOverflow : Scenario
{
    public override string Name => "client-queue-overflow";

    public override string Proves => $"a paused client whose queue ({ChaosSystem.SmallQueue} messages) overflows notices the loss and reloads, filtered bindings included";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var filtered = run.System.Clients.First(c => c.Bindings.SequenceEqual(ChaosSystem.FilteredBindings));
        await filtered.Process.PauseAsync();
        var queue = Topology.Site.ClientQueue(filtered.Site, filtered.Workstation);
        await run.BurstAsync(3 * ChaosSystem.SmallQueue, cancellationToken);
        var full = await TimeUntilAsync(async () => await run.System.Management.MessagesAsync($"rtd-{filtered.Site}", queue) >= ChaosSystem.SmallQueue,
            TimeSpan.FromSeconds(30), cancellationToken);
        if (full is null)
        {
            run.Violation($"{queue} never filled up to {ChaosSystem.SmallQueue} messages while its client was paused");
        }
        await filtered.Process.ResumeAsync();
    }
}

internal sealed class QuietResync : Scenario
{
    public override string Name => "quiet-resync";

    public override string Proves => "after a resync every client reloads at once, also for tables that see no further change";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        // both instances down; skill-group changes that will never arrive (purged); then only agents change
        run.OnlyTable = "skillgroup";
        foreach (var instance in run.System.Distributors[run.Site].Values)
        {
            await instance.KillAsync();
        }
        await run.BurstAsync(10, cancellationToken);
        run.OnlyTable = "agent";
        await run.System.Management.PurgeAsync(run.System.CentralVirtualHost, run.ConfigQueue);
        await run.System.RestartStoppedAsync(cancellationToken);
    }
}

internal sealed class ReplicaRecreated : Scenario
{
    public override string Name => "replica-recreated";

    public override string Proves => "a replica dropped and recreated under running clients (site sequence back at 1) makes the clients reload, not drop everything";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        foreach (var instance in run.System.Distributors[run.Site].Values)
        {
            await instance.KillAsync();
        }
        await run.System.DropReplicaAsync(run.Site);
        var down = System.Diagnostics.Stopwatch.StartNew();
        await run.System.RestartStoppedAsync(cancellationToken);
        run.Failover = await TimeUntilAsync(async () => await run.System.AppliedAsync(run.Site) > 0, TimeSpan.FromSeconds(60), cancellationToken) + down.Elapsed;
    }
}

internal sealed class BrokerRestart : Scenario
{
    public override string Name => "broker-restart";

    public override string Proves => "every process reconnects by itself after RabbitMQ restarts under load (a private node, never the shared broker)";

    public override bool NeedsPrivateBroker => true;

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var node = PrivateNode.Of(run.System.Broker);
        await node.RunAsync("stop");
        var down = System.Diagnostics.Stopwatch.StartNew();
        await node.RunAsync("start", run.System.Broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var applied = await run.System.AppliedAsync(run.Site);
        run.Failover = await TimeUntilAsync(async () => await run.System.AppliedAsync(run.Site) > applied, TimeSpan.FromSeconds(90), cancellationToken) + down.Elapsed;
        if (run.Failover is null)
        {
            run.Violation("no change was applied within 90 s of the broker's restart");
        }
    }
}

internal sealed class CentralDatabasePrimaryKilled : Scenario
{
    public override string Name => "central-db-primary-killed";

    public override string Proves => "the loss of the central database's primary mid-burst (infra/postgres/ha.sh: Patroni promotes the synchronous standby) loses, duplicates and invents no committed change; the center takes edits again after the promotion";

    public override bool NeedsCentralDatabaseCluster => true;

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var burst = run.BurstAsync(400, cancellationToken);
        var before = run.Edits.Accepted;
        await TimeUntilAsync(() => Task.FromResult(run.Edits.Accepted >= before + 100), TimeSpan.FromSeconds(60), cancellationToken);
        await CentralDatabaseCluster.KillPrimaryAsync();
        var accepted = run.Edits.Accepted;
        // the burst sends one edit at a time: the one in flight at the kill may have committed just before it; the next one
        // accepted committed on the promoted standby
        run.Failover = await TimeUntilAsync(() => Task.FromResult(run.Edits.Accepted > accepted + 1), TimeSpan.FromSeconds(90), cancellationToken);
        if (run.Failover is null)
        {
            run.Violation("no edit was accepted within 90 s of killing the central database's primary");
        }
        await burst;
    }
}

internal sealed class FlakyLink : Scenario
{
    public override string Name => "flaky-link";

    public override string Proves => "a slow (100 ms each way) and flaky (connections reset every 1-2 s) link between the distributors and the broker delays the site but loses, duplicates and invents nothing";

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var link = run.System.BrokerLinks[run.Site];
        link.Latency = TimeSpan.FromMilliseconds(100);
        link.ResetAfter = TimeSpan.FromSeconds(1);
        try
        {
            await run.BurstAsync(100, cancellationToken);
        }
        finally
        {
            link.Latency = TimeSpan.Zero;
            link.ResetAfter = null;
        }
        // failover: from the link's recovery to the next change applied
        var applied = await run.System.AppliedAsync(run.Site);
        run.Failover = await TimeUntilAsync(async () => await run.System.AppliedAsync(run.Site) > applied, TimeSpan.FromSeconds(60), cancellationToken);
    }
}
