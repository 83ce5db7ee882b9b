namespace RealTimeDistributor.Hosting;

/// <summary>
/// A message this process gives back to its queue for another to take (the distributor that lost its site lease): an
/// expected event, not a fault. The code that hands it back logs it at Warning; MassTransit's own R-FAULT and T-FAULT
/// lines for it, which it writes at Error, are left out of the logs (<see cref="ServiceDefaults.Configure"/>), so an
/// operator alerting on Error sees only what needs a person.
/// </summary>
public class HandBackException(string message) : Exception(message)
{
    /// <summary>Whether <paramref name="exception"/> or one inside it is a hand-back.</summary>
    public static bool IsIn(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HandBackException)
            {
                return true;
            }
        }
        return false;
    }
}
