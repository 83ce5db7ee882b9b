using System.Diagnostics;
using System.Reflection;
using MassTransit;
using MassTransit.RabbitMqTransport.Configuration;
using Microsoft.Extensions.Configuration;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// How a MassTransit bus waits before each attempt to reach its broker again after losing it (a broker restart, a crash,
/// a network cut): <see cref="Delay"/>, the first wait <c>RabbitMq:ReconnectDelay</c> (0.5 s) doubling to at most
/// <c>RabbitMq:ReconnectMaxDelay</c> (4 s), each wait jittered (half of it fixed, half random), so the many workstations a
/// broker restart cuts off at once come back spread over a few seconds, not all together, and each is back at most
/// ReconnectMaxDelay (plus MassTransit's own 1 s pause) after the broker is. The count starts over once a connection has
/// lasted a minute. <c>RabbitMq:ReconnectPolicy=masstransit</c> keeps MassTransit 8.5.12's own policy instead
/// (3 s + 2^n x 2.4-3.6 s, up to 30 s, x 0.75-1.25, counted over the process's life: measured in benchmarks.md).
/// </summary>
public sealed record BrokerReconnect(TimeSpan FirstDelay, TimeSpan MaxDelay, bool Jittered = true)
{
    /// <summary>A connection that lasted this long starts the count of failures over.</summary>
    public static readonly TimeSpan StartOverAfter = TimeSpan.FromMinutes(1);

    public static readonly BrokerReconnect Default = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(4));

    public static BrokerReconnect From(IConfiguration configuration, string section)
    {
        var policy = configuration[$"{section}:ReconnectPolicy"] is { Length: > 0 } p ? p.Trim().ToLowerInvariant() : "jittered";
        if (policy is not ("jittered" or "masstransit"))
        {
            throw new InvalidConfigurationException($"{section}:ReconnectPolicy", $"is '{policy}': it must be jittered (the default) or masstransit.");
        }
        var first = configuration.Duration($"{section}:ReconnectDelay", Default.FirstDelay, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(1));
        var max = configuration.Duration($"{section}:ReconnectMaxDelay", Default.MaxDelay, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        if (max < first)
        {
            throw new InvalidConfigurationException($"{section}:ReconnectMaxDelay", $"is {max}, below {section}:ReconnectDelay ({first}): it must be at least that.");
        }
        return new BrokerReconnect(first, max, policy == "jittered");
    }

    /// <summary>The wait before attempt <paramref name="failures"/> + 1 (0: the first after losing the broker), <paramref name="random"/> in [0, 1).</summary>
    public TimeSpan Delay(int failures, double random) => Backoff(FirstDelay, MaxDelay, failures, random);

    /// <summary><paramref name="first"/> doubled <paramref name="failures"/> times, at most <paramref name="max"/>; half of it fixed, half random.</summary>
    public static TimeSpan Backoff(TimeSpan first, TimeSpan max, int failures, double random) =>
        TimeSpan.FromMilliseconds(Math.Min(max.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, Math.Clamp(failures, 0, 30))) * (0.5 + (random / 2)));

    /// <summary>
    /// Gives the bus <see cref="Policy"/> in place of MassTransit's reconnect policy. MassTransit 8.5.12 builds that policy
    /// (<c>RabbitMqHostConfiguration.ReceiveTransportRetryPolicy</c>, which its receive and send transports wait on between
    /// connection attempts) in a constructor and offers no setting for it, so it is replaced through reflection; this throws
    /// at start if a MassTransit upgrade moved it (the fast test <c>When_a_bus_reconnects_to_its_broker</c> fails first).
    /// </summary>
    public void ApplyTo(IRabbitMqBusFactoryConfigurator configurator)
    {
        if (!Jittered)
        {
            return;
        }
        const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;
        var host = typeof(RabbitMqBusFactoryConfigurator).GetField("_hostConfiguration", Private)?.GetValue(configurator) as RabbitMqHostConfiguration;
        var field = typeof(RabbitMqHostConfiguration).GetField($"<{nameof(RabbitMqHostConfiguration.ReceiveTransportRetryPolicy)}>k__BackingField", Private);
        if (host is null || field?.GetValue(host) is not IRetryPolicy transportPolicy)
        {
            throw new InvalidOperationException(
                "MassTransit's RabbitMQ reconnect policy is not where MassTransit 8.5.12 keeps it: update BrokerReconnect.ApplyTo, or set RabbitMq:ReconnectPolicy=masstransit.");
        }
        field.SetValue(host, new Policy(transportPolicy, this));
    }

    /// <summary>
    /// MassTransit's reconnect policy with <see cref="BrokerReconnect"/>'s waits: which failures are worth another attempt
    /// stays MassTransit's (<paramref name="transportPolicy"/>: a lost connection yes, a refused password no); the attempts
    /// never run out (MassTransit's own stop after 1,000, and its receive endpoint stays down).
    /// </summary>
    public sealed class Policy(IRetryPolicy transportPolicy, BrokerReconnect reconnect) : IRetryPolicy
    {
        public BrokerReconnect Reconnect => reconnect;

        public void Probe(ProbeContext context) =>
            context.Set(new { Policy = "Jittered reconnect", First = reconnect.FirstDelay, Max = reconnect.MaxDelay });

        public bool IsHandled(Exception exception) => transportPolicy.IsHandled(exception);

        public RetryPolicyContext<T> CreatePolicyContext<T>(T context)
            where T : class, PipeContext => new Attempts<T>(this, context);

        private sealed class Attempts<T>(Policy policy, T context) : RetryPolicyContext<T>
            where T : class, PipeContext
        {
            private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);

            public T Context => context;

            public bool CanRetry(Exception exception, out RetryContext<T> retryContext)
            {
                retryContext = new Attempt<T>(policy, context, exception, 0, _cancel.Token);
                return policy.IsHandled(exception) && !_cancel.IsCancellationRequested;
            }

            public Task RetryFaulted(Exception exception) => Task.CompletedTask;

            public void Cancel() => _cancel.Cancel();

            public void Dispose() => _cancel.Dispose();
        }

        private sealed class Attempt<T>(Policy policy, T context, Exception exception, int retryCount, CancellationToken cancellationToken) : RetryContext<T>
            where T : class, PipeContext
        {
            private readonly long _started = Stopwatch.GetTimestamp();

            public T Context => context;

            public CancellationToken CancellationToken => cancellationToken;

            public Exception Exception => exception;

            public int RetryAttempt => retryCount + 1;

            public int RetryCount => retryCount;

            /// <summary>Drawn once: MassTransit reads it twice (to log it, then to wait).</summary>
            public TimeSpan? Delay { get; } = policy.Reconnect.Delay(retryCount, Random.Shared.NextDouble());

            public Type ContextType => typeof(T);

            public bool CanRetry(Exception exception, out RetryContext<T> retryContext)
            {
                // MassTransit keeps one of these across reconnects: a connection that lasted starts the count over
                var next = Stopwatch.GetElapsedTime(_started) - Delay > StartOverAfter ? 0 : retryCount + 1;
                retryContext = new Attempt<T>(policy, context, exception, next, cancellationToken);
                return policy.IsHandled(exception);
            }

            public Task RetryFaulted(Exception exception) => Task.CompletedTask;

            public Task PreRetry() => Task.CompletedTask;
        }
    }
}
