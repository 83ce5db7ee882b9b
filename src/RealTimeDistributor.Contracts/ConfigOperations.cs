namespace RealTimeDistributor.Contracts;

public static class ConfigOperations
{
    public const string Upsert = "upsert";
    public const string Delete = "delete";

    public static bool IsKnown(string operation) => operation is Upsert or Delete;
}
