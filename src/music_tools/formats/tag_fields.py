"""Where each tag format keeps the fields a LibraryFile holds: frame ids and key names."""

from __future__ import annotations

__all__ = [
    "APE_KEYS",
    "APE_KEYS_LOWER",
    "ASF_KEYS",
    "ID3_FRAMES",
    "ID3_GENRES",
    "ID3_KNOWN_FRAMES",
    "MB_TXXX",
    "MP4_KEYS",
    "VORBIS_KEYS",
]

ID3_FRAMES = {
    "artist": "TPE1",
    "title": "TIT2",
    "album": "TALB",
    "album_artist": "TPE2",
    "track": "TRCK",
    "disc": "TPOS",
    "genre": "TCON",
}
VORBIS_KEYS = {
    "artist": ("artist",),
    "title": ("title",),
    "album": ("album",),
    "album_artist": ("albumartist", "album artist", "album_artist"),
    "track": ("tracknumber",),
    "disc": ("discnumber",),
    "date": ("date", "year", "originaldate"),
    "genre": ("genre",),
    "mbid": ("musicbrainz_trackid", "musicbrainz_recordingid"),
}
MP4_KEYS = {
    "artist": ("\xa9ART",),
    "title": ("\xa9nam",),
    "album": ("\xa9alb",),
    "album_artist": ("aART",),
    "track": ("trkn",),
    "disc": ("disk",),
    "date": ("\xa9day",),
    "genre": ("\xa9gen", "gnre"),
    "mbid": ("----:com.apple.iTunes:MusicBrainz Track Id",),
}
ASF_KEYS = {
    "artist": ("Author", "WM/Composer"),
    "title": ("Title",),
    "album": ("WM/AlbumTitle",),
    "album_artist": ("WM/AlbumArtist",),
    "track": ("WM/TrackNumber", "WM/Track"),
    "disc": ("WM/PartOfSet",),
    "date": ("WM/Year", "WM/OriginalReleaseYear"),
    "genre": ("WM/Genre",),
    "mbid": ("MusicBrainz/Track Id",),
}
APE_KEYS = {
    "artist": ("Artist",),
    "title": ("Title",),
    "album": ("Album",),
    "album_artist": ("Album Artist", "AlbumArtist"),
    "track": ("Track",),
    "disc": ("Disc",),
    "date": ("Year", "Date"),
    "genre": ("Genre",),
    "mbid": ("MUSICBRAINZ_TRACKID",),
}
APE_KEYS_LOWER = {field: tuple(n.lower() for n in names) for field, names in APE_KEYS.items()}
MB_TXXX = ("TXXX:MusicBrainz Track Id", "TXXX:MUSICBRAINZ_TRACKID", "TXXX:musicbrainz_trackid")

#: the ID3v2.3/2.4 frame ids mutagen knows (mutagen.id3.Frames): its test of whether a v2.4
#: tag's frame sizes are syncsafe counts the frames each reading finds
_ID3_KNOWN = (
    "AENC APIC ASPI CHAP COMM COMR CTOC ENCR EQU2 ETCO GEOB GRID GRP1 IPLS LINK MCDI MLLT MVIN "
    "MVNM OWNE PCNT PCST POPM POSS PRIV RBUF RVA2 RVAD RVRB SEEK SIGN SYLT SYTC TALB TBPM TCAT "
    "TCMP TCOM TCON TCOP TDAT TDEN TDES TDLY TDOR TDRC TDRL TDTG TENC TEXT TFLT TGID TIME TIPL "
    "TIT1 TIT2 TIT3 TKEY TKWD TLAN TLEN TMCL TMED TMOO TOAL TOFN TOLY TOPE TORY TOWN TPE1 TPE2 "
    "TPE3 TPE4 TPOS TPRO TPUB TRCK TRDA TRSN TRSO TSIZ TSO2 TSOA TSOC TSOP TSOT TSRC TSSE TSST "
    "TXXX TYER UFID USER USLT WCOM WCOP WFED WOAF WOAR WOAS WORS WPAY WPUB WXXX"
)
ID3_KNOWN_FRAMES = frozenset(_ID3_KNOWN.split())


#: mutagen's genre names by ID3v1 genre number (mutagen._constants.GENRES): ID3 TCON values
#: "17", "(17)" and ID3v1 genre bytes are read as these names
_ID3_GENRES = (
    "Blues|Classic Rock|Country|Dance|Disco|Funk|Grunge|Hip-Hop|Jazz|Metal|New Age|Oldies|"
    "Other|Pop|R&B|Rap|Reggae|Rock|Techno|Industrial|Alternative|Ska|Death Metal|Pranks|"
    "Soundtrack|Euro-Techno|Ambient|Trip-Hop|Vocal|Jazz+Funk|Fusion|Trance|Classical|"
    "Instrumental|Acid|House|Game|Sound Clip|Gospel|Noise|Alt. Rock|Bass|Soul|Punk|Space|"
    "Meditative|Instrumental Pop|Instrumental Rock|Ethnic|Gothic|Darkwave|Techno-Industrial|"
    "Electronic|Pop-Folk|Eurodance|Dream|Southern Rock|Comedy|Cult|Gangsta Rap|Top 40|"
    "Christian Rap|Pop/Funk|Jungle|Native American|Cabaret|New Wave|Psychedelic|Rave|"
    "Showtunes|Trailer|Lo-Fi|Tribal|Acid Punk|Acid Jazz|Polka|Retro|Musical|Rock & Roll|"
    "Hard Rock|Folk|Folk-Rock|National Folk|Swing|Fast-Fusion|Bebop|Latin|Revival|Celtic|"
    "Bluegrass|Avantgarde|Gothic Rock|Progressive Rock|Psychedelic Rock|Symphonic Rock|"
    "Slow Rock|Big Band|Chorus|Easy Listening|Acoustic|Humour|Speech|Chanson|Opera|"
    "Chamber Music|Sonata|Symphony|Booty Bass|Primus|Porn Groove|Satire|Slow Jam|Club|Tango|"
    "Samba|Folklore|Ballad|Power Ballad|Rhythmic Soul|Freestyle|Duet|Punk Rock|Drum Solo|"
    "A Cappella|Euro-House|Dance Hall|Goa|Drum & Bass|Club-House|Hardcore|Terror|Indie|"
    "BritPop|Afro-Punk|Polsk Punk|Beat|Christian Gangsta Rap|Heavy Metal|Black Metal|"
    "Crossover|Contemporary Christian|Christian Rock|Merengue|Salsa|Thrash Metal|Anime|JPop|"
    "Synthpop|Abstract|Art Rock|Baroque|Bhangra|Big Beat|Breakbeat|Chillout|Downtempo|Dub|"
    "EBM|Eclectic|Electro|Electroclash|Emo|Experimental|Garage|Global|IDM|Illbient|"
    "Industro-Goth|Jam Band|Krautrock|Leftfield|Lounge|Math Rock|New Romantic|Nu-Breakz|"
    "Post-Punk|Post-Rock|Psytrance|Shoegaze|Space Rock|Trop Rock|World Music|Neoclassical|"
    "Audiobook|Audio Theatre|Neue Deutsche Welle|Podcast|Indie Rock|G-Funk|Dubstep|"
    "Garage Rock|Psybient"
)
ID3_GENRES = tuple(_ID3_GENRES.split("|"))
