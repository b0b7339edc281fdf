"""What an operations team needs: logs, metrics, health, backups and journal exports."""
