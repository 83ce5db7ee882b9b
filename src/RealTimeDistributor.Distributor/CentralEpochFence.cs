namespace RealTimeDistributor.Distributor;

/// <summary>
/// The fence against a former active center: the highest central lease epoch this process has seen on a configuration
/// change or a real-time batch. A message of a lower epoch comes from a center that has lost the lease (paused, cut off)
/// and is ignored (acked, counted, logged); epoch 0 means none given (a tool's or test's publisher) and is not fenced.
/// In memory: a restarted distributor learns the highest epoch again from the first message that carries one.
/// </summary>
public sealed class CentralEpochFence(ILogger<CentralEpochFence> logger)
{
    private long _highest;
    private long _ignored;

    public long Highest => Interlocked.Read(ref _highest);

    /// <summary>Messages ignored because their central epoch was lower than the highest seen.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>True to take the message; false (logged, counted) when a newer active center has published since.</summary>
    public bool Admit(long epoch, string what)
    {
        while (epoch > 0)
        {
            var highest = Interlocked.Read(ref _highest);
            if (epoch < highest)
            {
                Interlocked.Increment(ref _ignored);
                logger.LogWarning("Ignored {What} of central epoch {Epoch}: the active center of epoch {Highest} has published since", what, epoch, highest);
                return false;
            }
            if (epoch == highest || Interlocked.CompareExchange(ref _highest, epoch, highest) == highest)
            {
                if (epoch > highest)
                {
                    logger.LogWarning("The active center is now the one of central epoch {Epoch} (was {Previous})", epoch, highest);
                }
                return true;
            }
        }
        return true;
    }
}
