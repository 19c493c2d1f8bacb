"""Engine children (yt-dlp, gallery-dl) and the runner that starts them in their own process group."""
