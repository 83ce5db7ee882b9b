using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RealTimeDistributor.Central.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class PeripheralTimeZone : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "time_zone",
                table: "peripheral",
                type: "text",
                nullable: false,
                defaultValue: "");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "time_zone",
                table: "peripheral");
        }
    }
}
